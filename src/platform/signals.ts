/**
 * Calls `stop` (with the reason) on SIGTERM or SIGINT — however the process was started: by npm
 * (whose scripts `exec` node, so npm hands its signal straight to this process), a process manager,
 * or as a container's PID 1 (which has no default signal handling). Started by an npm script, it
 * also stops when npm goes away without passing a signal on (killed with SIGKILL), instead of
 * living on as an orphan that still answers.
 */
export function onStopSignal(stop: (reason: string) => void): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop('npm exited');
    }, 500).unref();
  }
}
