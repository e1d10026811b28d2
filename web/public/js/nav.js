// The URL names the open chat (#/chat/<id>); navigating changes the hash and the app opens what it names.

let onRoute = () => {};

export function setRouteHandler(fn) {
  onRoute = fn;
}

export function navigate(chatId) {
  const target = chatId ? `#/chat/${chatId}` : '#/';
  if (location.hash !== target) location.hash = target;
  else onRoute();
}

/** The chat id in the URL, or null. */
export function routedChatId() {
  const m = /^#\/chat\/(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}
