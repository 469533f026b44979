/**
 * A bare Aedes on a free port, in a process of its own, for the rollout bench's raw-broker side on the embedded
 * defaults (the control plane's own Aedes lives inside the control plane and cannot run without it). Same library
 * and in-flight setting as the embedded broker; no authentication, so it is the broker's own ceiling. Prints the
 * port on stdout, stops on SIGTERM.
 */
import { createServer } from 'node:net';

async function main(): Promise<void> {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker({ maxClientsIdLength: 128, concurrency: 1000 });
  const server = createServer((socket) => aedes.handle(socket));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
  process.once('SIGTERM', () => server.close(() => aedes.close(() => process.exit(0))));
}

void main();
