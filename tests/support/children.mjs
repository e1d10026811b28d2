// The child processes a test run started (servers, redis-server nodes), so that none outlives it: a test that
// fails or is interrupted before its `after` hook still leaves no server holding a port or a database. Shared
// by the integration and the end-to-end harnesses; one set and one sweep per test process, however many
// modules track children.

const live = new Set();

process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Kills `child` with SIGKILL when this process exits, unless it is gone by then. Returns `child`. */
export function track(child) {
  live.add(child);
  const forget = () => live.delete(child);
  child.once('exit', forget);
  // A child that could not be spawned may never emit 'exit'.
  child.once('error', forget);
  return child;
}
