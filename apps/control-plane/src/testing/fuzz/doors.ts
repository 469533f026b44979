/**
 * The fuzz harness's registry of doors: every way input enters the system (a REST operation, an inbound MQTT
 * topic, later the agent's desired-state parser, enrollment, …). A door generates hostile inputs with
 * fast-check, sends each through, and checks its own property (no 5xx, a `rejected` reply instead of an
 * internal error, …); the harness adds what holds for every door: the service still answers, and a door
 * that accepted nothing wrote nothing. Add a door with `registerDoors(name, factory)`.
 */
import fc from 'fast-check';

/** What a door may use: the system under test, as the spec that runs the harness started it. */
export interface FuzzContext {
  /** Answers true while the service is alive (e.g. GET /health is 200). */
  healthy(): Promise<boolean>;
  /** Row counts per table, to prove refused input wrote nothing. */
  rowCounts(): Promise<Record<string, number>>;
  /** Anything a door family needs (HTTP injector, MQTT client, fixtures), by name. */
  get<T>(name: string): T;
}

/** One input's outcome, as the door judged it. */
export type Verdict = 'accepted' | 'refused';

export interface FuzzDoor {
  name: string;
  /** Hostile inputs for this door. */
  inputs: fc.Arbitrary<unknown>;
  /** Sends one input; throws (with the input's answer) when the door's property fails. */
  send(input: unknown): Promise<Verdict>;
  /** Waits until everything sent has been processed (asynchronous doors such as MQTT). */
  settle?(): Promise<void>;
  /**
   * Inputs sent at once (default 1): a door whose send() may run concurrently gets batches of this many, so
   * waits on the database and the broker overlap. fast-check still shrinks a failing batch to its culprit.
   */
  batch?: number;
}

export interface DoorReport {
  door: string;
  inputs: number;
  accepted: number;
  refused: number;
  ms: number;
  rowsChanged: Record<string, number>;
}

type DoorFactory = (ctx: FuzzContext) => Promise<FuzzDoor[]> | FuzzDoor[];
const families: Array<{ name: string; factory: DoorFactory }> = [];

/** Adds a family of doors (e.g. 'rest', 'mqtt'); the harness runs every registered family. */
export function registerDoors(name: string, factory: DoorFactory): void {
  if (!families.some((f) => f.name === name)) families.push({ name, factory });
}

export async function doorsOf(ctx: FuzzContext, only?: (family: string) => boolean): Promise<FuzzDoor[]> {
  const out: FuzzDoor[] = [];
  for (const f of families) if (!only || only(f.name)) out.push(...(await f.factory(ctx)));
  return out;
}

export interface FuzzBudget {
  /** Generated inputs per door. */
  runs: number;
  /** Wall-clock bound per door (0 = none): a door that cannot send its `runs` inputs in it fails. */
  timeLimitMs: number;
  seed?: number;
}

/**
 * Runs `runs` inputs (rounded up to whole batches) through one door, then checks the harness-wide properties
 * with one row-count snapshot before and one after the door. fast-check shrinks a failing input (or batch) to a
 * small one before reporting it; each door's send() names the input in its error.
 */
export async function runDoor(ctx: FuzzContext, door: FuzzDoor, budget: FuzzBudget): Promise<DoorReport> {
  const before = await ctx.rowCounts();
  let accepted = 0;
  let refused = 0;
  const t0 = Date.now();
  const batch = Math.max(1, Math.min(door.batch ?? 1, budget.runs));
  await fc.assert(
    fc.asyncProperty(fc.array(door.inputs, { minLength: batch, maxLength: batch }), async (inputs) => {
      for (const verdict of await Promise.all(inputs.map((input) => door.send(input)))) {
        if (verdict === 'accepted') accepted++;
        else refused++;
      }
    }),
    {
      numRuns: Math.ceil(budget.runs / batch), seed: budget.seed, endOnFailure: true,
      ...(budget.timeLimitMs > 0 && { interruptAfterTimeLimit: budget.timeLimitMs, markInterruptAsFailure: true }),
    },
  );
  await door.settle?.();
  const ms = Date.now() - t0;
  if (!(await ctx.healthy())) throw new Error(`${door.name}: the service stopped answering after ${accepted + refused} inputs`);
  const after = await ctx.rowCounts();
  const rowsChanged = Object.fromEntries(Object.keys(after).map((t) => [t, after[t]! - (before[t] ?? 0)]).filter(([, d]) => d !== 0));
  if (accepted === 0 && Object.keys(rowsChanged).length > 0) {
    throw new Error(`${door.name}: every input was refused, yet rows changed: ${JSON.stringify(rowsChanged)}`);
  }
  return { door: door.name, inputs: accepted + refused, accepted, refused, ms, rowsChanged };
}
