import java.nio.file.Path;
import org.tocomstream.compensate.CalibrationVerdict;
import org.tocomstream.compensate.CompensatorCalibration;

/** The verdict tocom calibrate prints, for a calibration file written before the verdict existed. */
public class Verdict {
    public static void main(String[] args) throws Exception {
        CalibrationVerdict v = CalibrationVerdict.of(CompensatorCalibration.load(Path.of(args[0]))).orElseThrow();
        System.out.println((v.helps() ? "helps: " : "does not help: ") + v.text());
    }
}
