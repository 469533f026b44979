#!/usr/bin/env node
/** CLI: `npm run agent -- --broker mqtt://… --device-id …` (see config/args.ts for every flag). */
import { startAgent } from './agent';
import { USAGE, parseCliArgs } from './config/args';
import { AgentConfigError, describeError } from './lib/errors';
import { createLogger } from './lib/logger';

async function main(): Promise<void> {
  let cli;
  try {
    cli = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logger = createLogger(`agent ${cli.agent.deviceId}`, cli.logLevel);
  let agent;
  try {
    agent = await startAgent({ ...cli.agent, logger });
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { error: describeError(err) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`edgefleet-agent: ${describeError(err)}\n`);
  process.exit(1);
});
