import { DistillConfigError } from '../errors';
import { TeacherArch } from '../pipeline/ladder';

export interface CliArgs {
  dataset: string;
  out: string;
  teacher?: string;
  teacherArch?: TeacherArch;
  students?: string[];
  epochs?: number;
  teacherEpochs?: number;
  temperature?: number;
  alpha?: number;
  labeledFraction?: number;
  seed?: number;
  threads?: number;
  batchSize?: number;
  patience?: number;
  json: boolean;
}

export const USAGE = `usage: npm run distill -- --dataset <dir|csv> --out <dir> [--teacher model.onnx] [--teacher-arch mlp|cnn]
  [--students mlp:64,cnn:8-16-32] [--epochs 15] [--teacher-epochs 15] [--temperature 2] [--alpha 0.5]
  [--labeled-fraction 1] [--seed 1] [--threads 2] [--batch-size 128] [--patience 4] [--json]
  (--patience: epochs without a better validation accuracy before stopping, 0 = run every epoch;
   distillation's edge over hard labels shows with longer runs, e.g. --epochs 60 --patience 0)
  (with --json, run it as \`npm run -s distill -- …\`: plain \`npm run\` prints its own banner on stdout)`;

const num = (flag: string, v: string | undefined, check: (n: number) => boolean): number => {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || !check(n)) throw new DistillConfigError(`bad value for ${flag}: ${v ?? '(missing)'}\n${USAGE}`);
  return n;
};

/** Parses `--flag value` pairs; every problem is a DistillConfigError carrying the usage text. */
export function parseArgs(argv: string[]): CliArgs {
  const a: Partial<CliArgs> & { json: boolean } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    const take = () => { i++; if (v === undefined) throw new DistillConfigError(`${flag} needs a value\n${USAGE}`); return v; };
    switch (flag) {
      case '--dataset': a.dataset = take(); break;
      case '--out': a.out = take(); break;
      case '--teacher': a.teacher = take(); break;
      case '--teacher-arch': {
        const arch = take();
        if (arch !== 'mlp' && arch !== 'cnn') throw new DistillConfigError(`--teacher-arch must be mlp or cnn, got ${arch}`);
        a.teacherArch = arch;
        break;
      }
      case '--students': a.students = take().split(',').filter(Boolean); break;
      case '--epochs': a.epochs = num(flag, take(), (n) => Number.isInteger(n) && n > 0); break;
      case '--teacher-epochs': a.teacherEpochs = num(flag, take(), (n) => Number.isInteger(n) && n > 0); break;
      case '--temperature': a.temperature = num(flag, take(), (n) => n > 0); break;
      case '--alpha': a.alpha = num(flag, take(), (n) => n >= 0 && n <= 1); break;
      case '--labeled-fraction': a.labeledFraction = num(flag, take(), (n) => n > 0 && n <= 1); break;
      case '--seed': a.seed = num(flag, take(), (n) => Number.isInteger(n) && n >= 0); break;
      case '--threads': a.threads = num(flag, take(), (n) => Number.isInteger(n) && n > 0); break;
      case '--batch-size': a.batchSize = num(flag, take(), (n) => Number.isInteger(n) && n > 0); break;
      case '--patience': a.patience = num(flag, take(), (n) => Number.isInteger(n) && n >= 0); break;
      case '--json': a.json = true; break;
      default: throw new DistillConfigError(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (!a.dataset || !a.out) throw new DistillConfigError(`--dataset and --out are required\n${USAGE}`);
  return a as CliArgs;
}
