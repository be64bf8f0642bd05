package org.tocomstream.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict JSON parsing for artifact headers: RFC 8259 only (no comments, NaN or trailing text) and,
 * unlike Gson's tree adapter, which keeps the last of two equal keys, duplicate keys are an error.
 */
final class StrictJson {

    private static final Pattern LOCATION = Pattern.compile("at line \\d+ column \\d+( path \\S+)?");

    private StrictJson() {}

    /**
     * Parses {@code text} into a tree.
     *
     * @throws IllegalArgumentException saying what is wrong and where (line, column, JSON path)
     */
    static JsonElement parse(String text) {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonElement root = read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("unexpected text after the JSON value");
            }
            return root;
        } catch (MalformedJsonException e) {
            throw new IllegalArgumentException(describe(e), e);
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // IllegalStateException: Gson's "Expected X but was Y"; EOFException: cut short.
            throw new IllegalArgumentException("malformed JSON: " + firstLine(e.getMessage()), e);
        }
    }

    private static JsonElement read(JsonReader reader) throws IOException {
        switch (reader.peek()) {
            case BEGIN_OBJECT:
                JsonObject object = new JsonObject();
                reader.beginObject();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (object.has(name)) {
                        throw new IllegalArgumentException(
                                String.format("duplicate key '%s' in JSON object at %s", name, reader.getPath()));
                    }
                    object.add(name, read(reader));
                }
                reader.endObject();
                return object;
            case BEGIN_ARRAY:
                JsonArray array = new JsonArray();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(read(reader));
                }
                reader.endArray();
                return array;
            case STRING:
                return new JsonPrimitive(reader.nextString());
            case NUMBER:
                return new JsonPrimitive(new BigDecimal(reader.nextString()));
            case BOOLEAN:
                return new JsonPrimitive(reader.nextBoolean());
            case NULL:
                reader.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new MalformedJsonException("unexpected " + reader.peek() + " " + reader.getPath());
        }
    }

    private static String describe(MalformedJsonException e) {
        String msg = firstLine(e.getMessage());
        Matcher m = LOCATION.matcher(msg);
        // Gson's text suggests switching to lenient parsing, which is not what a user should do.
        return m.find() ? "malformed JSON " + m.group() : "malformed JSON: " + msg;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unexpected end of input";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
