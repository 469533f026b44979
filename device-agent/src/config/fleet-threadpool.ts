/**
 * Imported first by processes that hold a simulated fleet (fleet:sim, the rollout benches): a thousand agents' file
 * operations (state, outbox, partial downloads) all go through libuv's thread pool, 4 threads by default, where they
 * queue behind each other. Read by libuv on the pool's first use, so this must run before any asynchronous file,
 * DNS or crypto call; an explicit UV_THREADPOOL_SIZE wins.
 */
export const FLEET_THREADPOOL_SIZE = 32;
process.env['UV_THREADPOOL_SIZE'] ??= String(FLEET_THREADPOOL_SIZE);
