// Starts Swagger UI for /docs. Kept out of docs.html so that the page runs under a Content-Security-Policy
// without 'unsafe-inline' scripts. The document URL comes from the container's data-spec-url attribute.
(function () {
  'use strict';
  var container = document.getElementById('swagger-ui');
  var specUrl = (container && container.getAttribute('data-spec-url')) || '/openapi.json';
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
    // The token from "Authorize" (OAuth2 password form or a pasted bearer token) survives a page reload.
    persistAuthorization: true,
    displayRequestDuration: true,
    tryItOutEnabled: false,
    filter: true,
    // No third-party validator badge: the page talks to its own server only.
    validatorUrl: null,
  });
})();
