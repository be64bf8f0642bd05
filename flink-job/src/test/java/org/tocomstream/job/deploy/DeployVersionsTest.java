package org.tocomstream.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.stream.ModelConfig;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The images (deploy/docker), the Kubernetes manifests (deploy/k8s, deploy/k8s-gpu) and the compose
 * file name the versions the root POM pins and the settings the cluster test runs with; and, where
 * {@code kubectl} is on the PATH, every kustomization builds. Nothing here builds or runs an image.
 */
class DeployVersionsTest {

    /** Surefire runs in the module directory; deploy/ and the root POM are one level up. */
    private static final Path ROOT = Path.of("..");

    private static final Path DEPLOY = ROOT.resolve("deploy");

    /** The kustomization directories, each must build with {@code kubectl kustomize}. */
    private static final List<String> KUSTOMIZATIONS =
            List.of("k8s", "k8s/application-mode", "k8s-gpu/session", "k8s-gpu/application-mode");

    /** The JVM flags deploy/bin/taskmanager.sh gives every TaskManager (thread counts vary). */
    private static final List<String> DJL_JVM_FLAGS =
            List.of("-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=", "-Dai.djl.pytorch.num_interop_threads=1");

    private static final String GPU_DRIVER = "org.apache.flink.externalresource.gpu.GPUDriverFactory";

    private static final String GPU_SCRIPT = "plugins/external-resource-gpu/nvidia-gpu-discovery.sh";

    private static Map<String, String> pom;

    @BeforeAll
    static void readPom() throws Exception {
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(ROOT.resolve("pom.xml").toFile());
        Element project = doc.getDocumentElement();
        pom = new LinkedHashMap<>();
        pom.put("project.version", childText(project, "version"));
        Element props = (Element) project.getElementsByTagName("properties").item(0);
        for (Node n = props.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                pom.put(e.getTagName(), e.getTextContent().trim());
            }
        }
    }

    @Test
    void dockerfilesUseTheFlinkAndJavaOfThePom() throws IOException {
        assertThat(pom.get("maven.compiler.release")).isEqualTo("17");
        String flinkImage = "flink:" + pom.get("flink.version") + "-scala_2.12-java17";
        for (String dockerfile : List.of("Dockerfile", "Dockerfile.gpu")) {
            assertThat(read(DEPLOY.resolve("docker").resolve(dockerfile)))
                    .as(dockerfile)
                    .contains("ARG FLINK_IMAGE=" + flinkImage + "\n")
                    .contains("deploy/flink-lib/target/djl-lib/")
                    .contains("COPY --chown=flink:flink flink-job/target/tocom-stream.jar "
                            + "/opt/flink/usrlib/tocom-stream.jar")
                    .contains("operators/target/tocom-stream-operators-*-backlog-bridge.jar")
                    .contains("UNTESTED");
        }
    }

    @Test
    void gpuDockerfileFetchesTheCudaLibtorchOfThePinnedPytorchAndDjl() throws IOException {
        String gpu = read(DEPLOY.resolve("docker/Dockerfile.gpu"));
        String torch = pom.get("pytorch.version");
        assertThat(pom.get("pytorch.jni.version")).isEqualTo(torch + "-" + pom.get("djl.version"));
        String flavor = value(gpu, "ARG PYTORCH_FLAVOR=(\\S+)");
        assertThat(flavor).matches("cu\\d{3}");
        // The JNI library DJL takes for that flavour comes from the pytorch-jni jar of the build.
        Properties jni = new Properties();
        try (InputStream in = resource("jnilib/pytorch.properties")) {
            jni.load(in);
        }
        assertThat(jni.getProperty("jni_version")).isEqualTo(pom.get("pytorch.jni.version"));
        assertThat(DeployVersionsTest.class
                        .getClassLoader()
                        .getResource("jnilib/linux-x86_64/" + flavor + "/libdjl_torch.so"))
                .as("pytorch-jni %s has a %s JNI library", pom.get("pytorch.jni.version"), flavor)
                .isNotNull();
        // cu128 -> the CUDA 12.8 runtime base.
        String cuda = flavor.substring(2, flavor.length() - 1) + "." + flavor.charAt(flavor.length() - 1);
        assertThat(gpu)
                .contains("ARG CUDA_IMAGE=nvidia/cuda:" + cuda + ".")
                .contains("ARG PYTORCH_VERSION=" + torch + "\n")
                .contains("ARG LIBTORCH_BASE_URL=https://publish.djl.ai/pytorch\n")
                .contains("ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib")
                .contains("PYTORCH_VERSION=${PYTORCH_VERSION}")
                .contains("PYTORCH_FLAVOR=${PYTORCH_FLAVOR}");
        // No checksum is invented: the build stops without one.
        assertThat(gpu).containsPattern("ARG LIBTORCH_SHA256\n").doesNotContainPattern("LIBTORCH_SHA256=[0-9a-f]{64}");
        assertThat(read(DEPLOY.resolve("docker/Dockerfile.gpu.dockerignore")))
                .contains("\ndeploy/flink-lib/target/djl-lib/pytorch-native-cpu-*.jar\n");
    }

    @Test
    void jarNamesMatchTheModules() throws IOException {
        assertThat(read(ROOT.resolve("flink-job/pom.xml"))).contains("<finalName>tocom-stream</finalName>");
        assertThat(read(ROOT.resolve("operators/pom.xml")))
                .contains("<artifactId>tocom-stream-operators</artifactId>")
                .contains("<classifier>backlog-bridge</classifier>");
        String flinkLib = read(DEPLOY.resolve("flink-lib/pom.xml"));
        assertThat(flinkLib)
                .contains("<version>" + pom.get("project.version") + "</version>")
                .contains("<artifactId>pytorch-native-cpu</artifactId>");
        assertThat(read(DEPLOY.resolve("k8s/application-mode/flinkdeployment.yaml")))
                .contains("jarURI: local:///opt/flink/usrlib/tocom-stream.jar");
        assertThat(read(DEPLOY.resolve("k8s/job-submit.yaml"))).contains("- /opt/flink/usrlib/tocom-stream.jar");
    }

    @Test
    void manifestsNameTheImagesKafkaAndFlinkOfThePom() throws IOException {
        String tag = pom.get("project.version").replace("-SNAPSHOT", "");
        String kafka = "image: apache/kafka:" + pom.get("kafka.version") + "\n";
        for (String file : List.of("k8s/kafka.yaml", "k8s/kafka-topics.yaml", "docker-compose.yml")) {
            assertThat(read(DEPLOY.resolve(file))).as(file).contains(kafka);
        }
        for (String file : List.of(
                "k8s/flink-session.yaml",
                "k8s/job-submit.yaml",
                "k8s/application-mode/flinkdeployment.yaml",
                "docker-compose.yml")) {
            assertThat(imagesIn(read(DEPLOY.resolve(file)), "tocom-stream-flink"))
                    .as(file)
                    .isNotEmpty()
                    .containsOnly("tocom-stream-flink:" + tag);
        }
        for (String file :
                List.of("k8s-gpu/session/taskmanager-gpu.yaml", "k8s-gpu/application-mode/flinkdeployment-gpu.yaml")) {
            assertThat(imagesIn(read(DEPLOY.resolve(file)), "tocom-stream-flink"))
                    .as(file)
                    .containsExactly("tocom-stream-flink-gpu:" + tag);
        }
        String[] flink = pom.get("flink.version").split("\\.");
        assertThat(read(DEPLOY.resolve("k8s/application-mode/flinkdeployment.yaml")))
                .contains("flinkVersion: v" + flink[0] + "_" + flink[1] + "\n");
    }

    @Test
    void flinkSettingsMatchTheClusterTestsTemplate() throws IOException {
        Map<String, String> template = block(read(DEPLOY.resolve("conf/flink/config.yaml.template")), null);
        List<String> patterns = listValue(template.get("classloader.parent-first-patterns.additional"));
        assertThat(patterns).contains("ai.djl.", "org.tocomstream.stream.BacklogBridge");
        String reporter = "metrics.reporter.backlog.factory.class";
        Map<String, Map<String, String>> configs = new LinkedHashMap<>();
        configs.put(
                "k8s FLINK_PROPERTIES", block(read(DEPLOY.resolve("k8s/flink-config.yaml")), "FLINK_PROPERTIES: |"));
        configs.put(
                "compose",
                block(read(DEPLOY.resolve("docker-compose.yml")), "x-flink-properties: &flink-properties |"));
        configs.put(
                "FlinkDeployment",
                block(read(DEPLOY.resolve("k8s/application-mode/flinkdeployment.yaml")), "flinkConfiguration:"));
        for (Map.Entry<String, Map<String, String>> c : configs.entrySet()) {
            Map<String, String> conf = c.getValue();
            assertThat(listValue(conf.get("classloader.parent-first-patterns.additional")))
                    .as(c.getKey())
                    .containsExactlyInAnyOrderElementsOf(patterns);
            assertThat(conf.get(reporter)).as(c.getKey()).isEqualTo(template.get(reporter));
            assertThat(conf).as(c.getKey()).containsKeys("execution.checkpointing.dir");
        }
        // The image's entrypoint deletes every blank of a FLINK_PROPERTIES line: no value may need one,
        // and the JVM flags travel in FLINK_ENV_JAVA_OPTS_TM.
        for (String key : List.of("k8s FLINK_PROPERTIES", "compose")) {
            configs.get(key).forEach((k, v) -> assertThat(v).as("%s %s", key, k).doesNotContainPattern("\\s"));
        }
        assertThat(configs.get("FlinkDeployment").get("env.java.opts.all")).contains(DJL_JVM_FLAGS);
        for (String file : List.of("k8s/flink-session.yaml", "docker-compose.yml")) {
            assertThat(value(read(DEPLOY.resolve(file)), "FLINK_ENV_JAVA_OPTS_TM(?::|\\n\\s*value:) \"([^\"]*)\""))
                    .as(file)
                    .contains(DJL_JVM_FLAGS);
        }
    }

    @Test
    void gpuOverlaysRequestTheGpuThroughFlinksExternalResource() throws IOException {
        String resource = ModelConfig.DEFAULT_GPU_RESOURCE;
        Map<String, Map<String, String>> configs = new LinkedHashMap<>();
        configs.put(
                "session",
                block(
                        read(DEPLOY.resolve("k8s-gpu/session/flink-gpu-properties.yaml")),
                        "FLINK_TASKMANAGER_PROPERTIES: |"));
        configs.put(
                "application-mode",
                block(
                        read(DEPLOY.resolve("k8s-gpu/application-mode/flinkdeployment-gpu.yaml")),
                        "flinkConfiguration:"));
        Map<String, String> limits = Map.of(
                "session", limit(read(DEPLOY.resolve("k8s-gpu/session/taskmanager-gpu.yaml"))),
                "application-mode", limit(read(DEPLOY.resolve("k8s-gpu/application-mode/flinkdeployment-gpu.yaml"))));
        String prefix = "external-resource." + resource + ".";
        for (Map.Entry<String, Map<String, String>> c : configs.entrySet()) {
            Map<String, String> conf = c.getValue();
            assertThat(conf.get("external-resources")).as(c.getKey()).isEqualTo(resource);
            assertThat(conf.get(prefix + "driver-factory.class")).as(c.getKey()).isEqualTo(GPU_DRIVER);
            assertThat(conf.get(prefix + "param.discovery-script.path"))
                    .as(c.getKey())
                    .isEqualTo(GPU_SCRIPT);
            assertThat(unquote(conf.get(prefix + "amount")))
                    .as("%s: the GPU amount equals the pod's nvidia.com/gpu limit", c.getKey())
                    .isEqualTo(limits.get(c.getKey()));
        }
        assertThat(configs.get("application-mode").get(prefix + "kubernetes.config-key"))
                .isEqualTo("nvidia.com/gpu");
        // The session overlay's settings reach the TaskManager through FLINK_PROPERTIES (no blanks).
        configs.get("session").forEach((k, v) -> assertThat(v).as(k).doesNotContainPattern("\\s"));
        assertThat(read(DEPLOY.resolve("docker/Dockerfile.gpu"))).contains(GPU_SCRIPT);
    }

    @Test
    void everyKustomizationBuildsWithKubectl() throws Exception {
        Assumptions.assumeTrue(
                onPath("kubectl"), "kubectl is not on the PATH: the kustomize builds are not checked here");
        String tag = pom.get("project.version").replace("-SNAPSHOT", "");
        for (String dir : KUSTOMIZATIONS) {
            Process p = new ProcessBuilder(
                            "kubectl", "kustomize", DEPLOY.resolve(dir).toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(dir).isTrue();
            assertThat(p.exitValue())
                    .as("kubectl kustomize deploy/%s:%n%s", dir, out)
                    .isZero();
            String image = dir.startsWith("k8s-gpu") ? "tocom-stream-flink-gpu:" : "tocom-stream-flink:";
            assertThat(out).as(dir).contains("image: " + image + tag);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = DeployVersionsTest.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("not on the test classpath: " + name);
        }
        return in;
    }

    private static String childText(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e.getTextContent().trim();
            }
        }
        throw new IllegalStateException("no <" + tag + "> in <" + parent.getTagName() + ">");
    }

    /** The first group of the first match of {@code regex} in {@code text}. */
    private static String value(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("/%s/ found", regex).isTrue();
        return m.group(1);
    }

    private static List<String> imagesIn(String text, String name) {
        List<String> images = new ArrayList<>();
        Matcher m = Pattern.compile("image: (" + Pattern.quote(name) + "\\S*)").matcher(text);
        while (m.find()) {
            images.add(m.group(1));
        }
        return images;
    }

    /** The {@code nvidia.com/gpu} limit of a pod spec patch. */
    private static String limit(String text) {
        return unquote(value(text, "nvidia\\.com/gpu: (\\S+)\\s*(?:#.*)?\n"));
    }

    private static String unquote(String v) {
        return v == null ? null : v.replaceAll("^\"|\"$", "");
    }

    /** {@code [a, b]} (YAML) or {@code a;b} (Flink's legacy list form) as a list. */
    private static List<String> listValue(String v) {
        assertThat(v).isNotNull();
        String s = v.trim();
        if (s.startsWith("[")) {
            s = s.substring(1, s.length() - 1).replace(",", ";");
        }
        return Arrays.stream(s.split(";"))
                .map(t -> unquote(t.trim()))
                .filter(t -> !t.isEmpty())
                .toList();
    }

    /**
     * The flat {@code key: value} lines of the block under the line {@code header} (the lines indented
     * like the block's first line; comments skipped), or of the whole file at column 0 when header is
     * null.
     */
    private static Map<String, String> block(String text, String header) {
        List<String> lines = text.lines().toList();
        int start = 0;
        if (header != null) {
            start = -1;
            for (int i = 0; i < lines.size() && start < 0; i++) {
                if (lines.get(i).trim().equals(header)) {
                    start = i + 1;
                }
            }
            assertThat(start).as("'%s' found", header).isPositive();
        }
        String indent = header == null ? "" : lines.get(start).replaceAll("^(\\s*).*", "$1");
        Map<String, String> out = new LinkedHashMap<>();
        Pattern kv = Pattern.compile(Pattern.quote(indent) + "([A-Za-z0-9_.-]+): ?(.*)");
        for (int i = start; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            Matcher m = kv.matcher(line);
            if (m.matches()) {
                out.put(m.group(1), m.group(2).trim());
            } else if (header != null) {
                break;
            }
        }
        return out;
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null
                && Arrays.stream(path.split(java.io.File.pathSeparator))
                        .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
