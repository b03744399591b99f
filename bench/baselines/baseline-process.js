/*
 * What every baseline child process shares: tell the parent (IPC) or the terminal where it listens,
 * and stop cleanly on SIGTERM / SIGINT or when the parent goes away.
 */
'use strict';

function announce(name, port, close) {
  if (process.send) process.send({ ready: true, name, port, pid: process.pid });
  else console.log(`${name} listening on http://127.0.0.1:${port} (pid ${process.pid})`);
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(0), 3000);
    timer.unref();
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

module.exports = { announce };
