/**
 * Operators a converted model may contain. A quantized or fp16 model is only useful if the device's
 * onnxruntime can load it, so anything outside these lists is refused up front rather than at deploy.
 * The lists are the ONNX standard operators (ai.onnx up to opset 22, ai.onnx.ml) and the
 * com.microsoft contrib operators onnxruntime's CPU provider registers that models commonly use.
 */
import { onnx } from 'onnx-proto';
import { QuantizationError } from './quantize-error';

const ONNX_OPS = `Abs Acos Acosh Add AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization
Bernoulli BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor BlackmanWindow Cast CastLike Ceil Celu CenterCropPad Clip
Col2Im Compress Concat ConcatFromSequence Constant ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DFT
DeformConv DepthToSpace DequantizeLinear Det Div Dropout DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike
Flatten Floor GRU Gather GatherElements GatherND Gelu Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater
GreaterOrEqual GridSample GroupNormalization HammingWindow HannWindow HardSigmoid HardSwish Hardmax Identity If
InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax Loop
LpNormalization LpPool MatMul MatMulInteger Max MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization
MelWeightMatrix Min Mish Mod Mul Multinomial Neg NegativeLogLikelihoodLoss NonMaxSuppression NonZero Not OneHot Optional
OptionalGetElement OptionalHasElement Or PRelu Pad Pow QLinearConv QLinearMatMul QuantizeLinear RNN RandomNormal
RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax
ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare RegexFullMatch Relu Reshape Resize ReverseSequence RoiAlign
Round STFT Scan Scatter ScatterElements ScatterND Selu SequenceAt SequenceConstruct SequenceEmpty SequenceErase
SequenceInsert SequenceLength SequenceMap Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax SoftmaxCrossEntropyLoss
Softplus Softsign SpaceToDepth Split SplitToSequence Sqrt Squeeze StringConcat StringNormalizer StringSplit Sub Sum Tan
Tanh TfIdfVectorizer ThresholdedRelu Tile TopK Transpose Trilu Unique Unsqueeze Upsample Where Xor`;

const ONNX_ML_OPS = `ArrayFeatureExtractor Binarizer CastMap CategoryMapper DictVectorizer FeatureVectorizer Imputer LabelEncoder
LinearClassifier LinearRegressor Normalizer OneHotEncoder SVMClassifier SVMRegressor Scaler TreeEnsembleClassifier
TreeEnsembleRegressor ZipMap`;

const MICROSOFT_OPS = `Attention BiasGelu BiasSoftmax DequantizeLinear DynamicQuantizeLSTM DynamicQuantizeMatMul EmbedLayerNormalization
FastGelu FusedConv FusedGemm FusedMatMul Gelu GroupQueryAttention MatMulInteger16 MatMulIntegerToFloat MatMulNBits
MultiHeadAttention NhwcMaxPool QLinearAdd QLinearAveragePool QLinearConcat QLinearGlobalAveragePool QLinearLeakyRelu
QLinearMul QLinearSigmoid QLinearSoftmax QuantizeLinear QuickGelu Rfft Irfft SkipLayerNormalization`;

const words = (s: string): Set<string> => new Set(s.split(/\s+/).filter(Boolean));

const KNOWN: Record<string, Set<string>> = {
  '': words(ONNX_OPS),
  'ai.onnx': words(ONNX_OPS),
  'ai.onnx.ml': words(ONNX_ML_OPS),
  'com.microsoft': words(MICROSOFT_OPS),
};

export const operatorName = (n: onnx.INodeProto): string => (n.domain ? `${n.domain}::${n.opType}` : String(n.opType));

/** Throws a QuantizationError naming the first node (here or in a subgraph) whose operator is not known to run. */
export function assertRunnableOperators(graph: onnx.IGraphProto, caller: string): void {
  for (const node of graph.node ?? []) {
    if (!KNOWN[node.domain ?? '']?.has(node.opType ?? '')) {
      const op = operatorName(node);
      throw new QuantizationError(op, `${caller}: node "${node.name ?? ''}" uses operator ${op}, which onnxruntime cannot run; refusing the model`);
    }
    for (const attr of node.attribute ?? []) {
      if (attr.g) assertRunnableOperators(attr.g, caller);
      for (const g of attr.graphs ?? []) assertRunnableOperators(g, caller);
    }
  }
}
