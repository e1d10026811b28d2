// The sign-in / create-account screen.

import { $, setFormError, withBusy } from '../dom.js';
import { api, signIn } from '../session.js';

export function initAuth() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#register-form').addEventListener('submit', onRegister);
  $('#tab-login').addEventListener('click', () => showAuthTab('login'));
  $('#tab-register').addEventListener('click', () => showAuthTab('register'));
}

export function showAuth(message) {
  $('#app-screen').hidden = true;
  $('#auth-screen').hidden = false;
  showAuthTab('login');
  const error = $('[data-testid="auth-error"]');
  error.hidden = !message;
  error.textContent = message || '';
  setTimeout(() => $('[data-testid="login-username"]').focus(), 0);
}

function showAuthTab(which) {
  $('#login-form').hidden = which !== 'login';
  $('#register-form').hidden = which !== 'register';
  $('#tab-login').classList.toggle('active', which === 'login');
  $('#tab-register').classList.toggle('active', which === 'register');
  $('#tab-login').setAttribute('aria-selected', String(which === 'login'));
  $('#tab-register').setAttribute('aria-selected', String(which === 'register'));
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('[data-testid="auth-error"]', form);
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) return setFormError(error, 'Enter your username and password.');
  setFormError(error, '');
  await withBusy($('[type=submit]', form), async () => {
    try {
      const res = await api.login(username, password);
      form.reset();
      signIn(res.access_token, res.user);
    } catch (err) {
      setFormError(error, err.status === 401 ? 'Wrong username or password.' : err.message);
    }
  });
}

async function onRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('[data-testid="register-error"]', form);
  const username = form.username.value.trim();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username))
    return setFormError(error, "Username: 3 to 32 letters, digits, '_', '.' or '-'.");
  if (!email.includes('@')) return setFormError(error, 'Enter a valid email address.');
  if ([...password].length < 6) return setFormError(error, 'Password must be at least 6 characters long.');
  setFormError(error, '');
  await withBusy($('[type=submit]', form), async () => {
    try {
      await api.register(username, email, password);
      const res = await api.login(username, password);
      form.reset();
      signIn(res.access_token, res.user);
    } catch (err) {
      setFormError(error, err.message);
    }
  });
}
