package org.tocomstream.compensate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of a weights file, remembered per path, size and modification time: a job's start asks
 * for it several times (the measured ladder, the compensator check, the model registry), and a
 * large model takes seconds to hash. A rewritten file has another size or time and is hashed again.
 */
final class WeightsHash {

    private static final int ENTRIES = 64;
    private static final Map<String, String> BY_FILE = new ConcurrentHashMap<>();

    private WeightsHash() {}

    /** Lower-case hex SHA-256 of {@code weights}. */
    static String sha256(Path weights) throws IOException {
        Path file = weights.toAbsolutePath();
        String key = file + "|" + Files.size(file) + "|"
                + Files.getLastModifiedTime(file).toInstant();
        String known = BY_FILE.get(key);
        if (known != null) {
            return known;
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        if (BY_FILE.size() >= ENTRIES) {
            BY_FILE.clear();
        }
        BY_FILE.put(key, sha);
        return sha;
    }
}
