package org.tocomstream.job.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** How the commands write their JSON reports: pretty-printed UTF-8, a final newline, parents made. */
public final class JsonFiles {

    private static final Gson WITH_NULLS =
            new GsonBuilder().setPrettyPrinting().serializeNulls().create();
    private static final Gson WITHOUT_NULLS =
            new GsonBuilder().setPrettyPrinting().create();

    private JsonFiles() {}

    /** Writes {@code value} to {@code file}, null fields written as {@code null}. */
    public static void write(Path file, Object value) throws IOException {
        write(file, value, WITH_NULLS);
    }

    /** Writes {@code value} to {@code file}, null fields left out. */
    public static void writeWithoutNulls(Path file, Object value) throws IOException {
        write(file, value, WITHOUT_NULLS);
    }

    private static void write(Path file, Object value, Gson gson) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            gson.toJson(value, w);
            w.write('\n');
        }
    }
}
