import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The agent's version as sent in hello: the package's own. */
export const AGENT_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0'; // bundled without its package.json: the version is informative only
  }
})();
