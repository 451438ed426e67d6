/**
 * `npm run dev`: the API restarting on change (node --watch, port 3000) and Vite's dev server with
 * hot reload (http://localhost:5173) in front of it, passing /api through. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'vite';
import { WEB_ROOT } from './build.ts';

const api = spawn(process.execPath, ['--watch', 'src/server.ts'], {
  cwd: path.dirname(WEB_ROOT),
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
});
const vite = await createServer({ root: WEB_ROOT, configFile: path.join(WEB_ROOT, 'vite.config.ts') });
await vite.listen();
vite.printUrls();

const stop = async () => {
  api.kill('SIGTERM');
  await vite.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
api.once('exit', (code) => {
  if (code !== null && code !== 0) console.error(`API exited with ${code}`);
});
