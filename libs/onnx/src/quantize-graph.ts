/**
 * In-place editing of a decoded ONNX graph for the quantizers: constant lookup, collision-free names,
 * nodes that must run first, and dropping initializers nothing reads any more.
 */
import { onnx } from 'onnx-proto';

export class GraphEdit {
  readonly initializers = new Map<string, onnx.ITensorProto>();
  private readonly names = new Set<string>();
  private readonly prologue: onnx.INodeProto[] = [];

  constructor(readonly model: onnx.IModelProto, readonly graph: onnx.IGraphProto) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
    const add = (n?: string | null): void => {
      if (n) this.names.add(n);
    };
    for (const t of graph.initializer ?? []) add(t.name);
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) add(v.name);
    for (const n of graph.node ?? []) {
      add(n.name);
      (n.input ?? []).forEach(add);
      (n.output ?? []).forEach(add);
    }
  }

  /** A name not used anywhere in the graph yet. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.names.has(name); i++) name = `${hint}_${i}`;
    this.names.add(name);
    return name;
  }

  addInitializer(t: onnx.ITensorProto): string {
    this.graph.initializer = [...(this.graph.initializer ?? []), t];
    this.initializers.set(t.name ?? '', t);
    return t.name ?? '';
  }

  /** Queues a node that only reads initializers; such nodes go first so topological order holds. */
  addPrologueNode(n: onnx.INodeProto): void {
    this.prologue.push(n);
  }

  /** Declares `domain` at `version` unless the model already imports it. */
  ensureOpset(domain: string, version: number): void {
    const imports = this.model.opsetImport ?? [];
    if (!imports.some((o) => (o.domain ?? '') === domain)) this.model.opsetImport = [...imports, { domain, version }];
  }

  /** The model's default-domain opset version. */
  get opset(): number {
    const o = (this.model.opsetImport ?? []).find((i) => i.domain === '' || i.domain === 'ai.onnx' || i.domain == null);
    return o ? Number(o.version) : 1;
  }

  /**
   * Puts the queued nodes first and removes initializers no node (in any subgraph) or graph output reads;
   * initializers also listed as graph inputs (old exporters) lose that entry with them.
   */
  finish(): void {
    this.graph.node = [...this.prologue, ...(this.graph.node ?? [])];
    const used = new Set<string>((this.graph.output ?? []).map((o) => o.name ?? ''));
    const visit = (g: onnx.IGraphProto): void => {
      for (const n of g.node ?? []) {
        (n.input ?? []).forEach((i) => used.add(i));
        for (const a of n.attribute ?? []) {
          if (a.g) visit(a.g);
          (a.graphs ?? []).forEach(visit);
        }
      }
    };
    visit(this.graph);
    const dropped = new Set((this.graph.initializer ?? []).map((t) => t.name ?? '').filter((n) => !used.has(n)));
    this.graph.initializer = (this.graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? ''));
    this.graph.input = (this.graph.input ?? []).filter((i) => !dropped.has(i.name ?? ''));
  }
}
