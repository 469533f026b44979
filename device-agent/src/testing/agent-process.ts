/**
 * An agent as its own process (dist/main.js), for tests that attack or kill it: its stderr log is collected so a
 * test can wait for what it says and check that it is still alive. Not exported from index.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export class AgentProcess {
  private log = '';
  readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [join(__dirname, '..', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  get output(): string {
    return this.log;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the log matches `re`; rejects when the process exits first or after `timeoutMs`. */
  async waitForLog(re: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.log)) {
      if (!this.alive) throw new Error(`agent exited (${this.child.exitCode ?? this.child.signalCode}) before logging ${re}:\n${this.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`agent did not log ${re} within ${timeoutMs} ms:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (graceful) unless told otherwise; resolves on exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return new Promise((resolve) => {
      if (!this.alive) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
