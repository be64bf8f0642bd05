import ai.djl.Device;
import java.nio.file.Path;
import java.util.Locale;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;

/**
 * The distance between two models on the fine-tunes' domain (generator seed 2, objects 0.1-0.3,
 * noise 30, TEST split): mean KL(A at level a || B at level b) per frame and top-1 agreement.
 * Run with the job's jar on the class path (Java's single-file launch):
 * java -cp flink-job/target/tocom-stream.jar src/experiments/tocom-transfer/ModelKl.java A a B b N
 */
public class ModelKl {
    public static void main(String[] args) throws Exception {
        Path dirA = Path.of(args[0]);
        CompressionLevel a = CompressionLevel.parse(args[1]);
        Path dirB = Path.of(args[2]);
        CompressionLevel b = CompressionLevel.parse(args[3]);
        int n = Integer.parseInt(args[4]);
        SceneConfig cfg = SceneConfig.defaults().withScale(0.1, 0.3).withNoiseStd(30);
        SceneGenerator gen = SceneGenerator.of(cfg, 2).split(SceneGenerator.Split.TEST);
        TrainingData data = new GeneratedData(gen, n, new ImagePreprocessor(ModelSpec.read(dirA).preprocessing()));
        double kl = 0;
        int agree = 0;
        try (VitModel ma = VitModel.load(dirA, Device.cpu());
                VitModel mb = VitModel.load(dirB, Device.cpu())) {
            int px = ModelSpec.read(dirA).preprocessing().inputSize();
            for (int start = 0; start < n; start += 64) {
                int len = Math.min(64, n - start);
                float[] pixels = new float[len * 3 * px * px];
                for (int i = 0; i < len; i++) {
                    float[] p = data.get(start + i, null).pixels();
                    System.arraycopy(p, 0, pixels, i * p.length, p.length);
                }
                long[] shape = {len, 3, px, px};
                float[][] la = ma.logits(pixels, shape, a);
                float[][] lb = mb.logits(pixels, shape, b);
                for (int i = 0; i < len; i++) {
                    double[] pa = logSoftmax(la[i]);
                    double[] pb = logSoftmax(lb[i]);
                    double s = 0;
                    for (int c = 0; c < pa.length; c++) {
                        s += Math.exp(pa[c]) * (pa[c] - pb[c]);
                    }
                    kl += Math.max(0, s);
                    agree += argmax(pa) == argmax(pb) ? 1 : 0;
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "KL(%s at %s || %s at %s) = %.5f nats/frame, top-1 agreement %.2f %%, %d frames%n",
                dirA, a, dirB, b, kl / n, 100.0 * agree / n, n);
    }

    static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] - max - Math.log(sum);
        }
        return out;
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            best = p[i] > p[best] ? i : best;
        }
        return best;
    }
}
