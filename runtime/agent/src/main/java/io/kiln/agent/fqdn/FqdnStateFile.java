package io.kiln.agent.fqdn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.agent.internal.AtomicFile;
import io.kiln.agent.spec.AddressLiterals;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The learned entries on disk ({@code <state folder>/fqdn.json}), so a restarted agent keeps the
 * addresses that live connections and clients' DNS caches still use instead of dropping them until
 * the next lookup. Written atomically by the learner (every expiry scan that follows a change, and
 * when it stops); read once at start.
 *
 * <p>Read as untrusted input (docs/hostile-inputs.md): only a regular file, never through a link,
 * a FIFO or a device; at most {@link #BYTES_PER_ENTRY} bytes per entry the node may hold; each entry
 * checked (endpoint id, a name of printable characters, an address literal, an ISO instant) and a
 * bad one skipped and named; the cache's bounds apply to what is restored. A file that cannot be
 * used at all is reported and the learner starts empty, as it did before this file existed.
 */
final class FqdnStateFile {
    static final int FORMAT = 1;
    /** An entry is about 110 bytes as written; a file larger than this many per allowed entry is not ours. */
    static final long BYTES_PER_ENTRY = 512;
    private static final Pattern NAME = Pattern.compile("[\\x21-\\x7e]{1,253}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a read found: the usable entries and, if something was wrong, what (null: nothing). */
    record Read(List<FqdnCache.Entry> entries, String problem) {
    }

    private final Path file;

    FqdnStateFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    void write(List<FqdnCache.Entry> entries) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT);
        ArrayNode a = root.putArray("entries");
        for (FqdnCache.Entry e : entries) {
            a.addObject().put("endpoint", e.endpointId()).put("name", e.name())
                    .put("address", AddressLiterals.format(e.address())).put("expires", e.expires().toString());
        }
        AtomicFile.write(file, JSON.writeValueAsBytes(root));
    }

    /** The entries, at most {@code maxEntries}; none (and no problem) when there is no file. */
    Read read(int maxEntries) {
        long maxBytes = 4096 + maxEntries * BYTES_PER_ENTRY;
        byte[] bytes;
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return new Read(List.of(), null);
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return bad("not a regular file (a link, a FIFO or a device is never read)");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                return bad(size + " bytes, more than " + maxBytes + " (" + BYTES_PER_ENTRY + " for each of the "
                        + maxEntries + " entries the node may hold)");
            }
            bytes = readAtMost(size);
            if (bytes == null) {
                return bad("grew past its " + size + " bytes while read");
            }
        } catch (NoSuchFileException gone) {
            return new Read(List.of(), null);
        } catch (IOException e) {
            return bad("read: " + e.getMessage());
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            return bad("not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject() || root.path("format").asInt(-1) != FORMAT) {
            return bad("format: expected " + FORMAT);
        }
        JsonNode list = root.path("entries");
        if (!list.isArray()) {
            return bad("entries: expected a list");
        }
        List<FqdnCache.Entry> out = new ArrayList<>();
        String first = null;
        int skipped = 0;
        for (int i = 0; i < list.size(); i++) {
            if (out.size() >= maxEntries) {
                skipped += list.size() - i;
                first = first == null ? "more than " + maxEntries + " entries" : first;
                break;
            }
            String why = null;
            FqdnCache.Entry e = null;
            JsonNode n = list.get(i);
            try {
                e = entry(n);
            } catch (IllegalArgumentException bad) {
                why = "entries[" + i + "]." + bad.getMessage();
            }
            if (e == null) {
                skipped++;
                first = first == null ? why : first;
            } else {
                out.add(e);
            }
        }
        return new Read(out, skipped == 0 ? null
                : "fqdn state file " + file + ": " + first + "; " + skipped + " of " + list.size() + " entries skipped");
    }

    private static FqdnCache.Entry entry(JsonNode n) {
        JsonNode ep = n.path("endpoint");
        if (!ep.canConvertToInt() || !ep.isIntegralNumber() || ep.asInt() < 1 || ep.asInt() > 65535) {
            throw new IllegalArgumentException("endpoint: expected an endpoint id 1..65535");
        }
        String name = n.path("name").asText("");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: expected a DNS name of 1-253 printable characters");
        }
        String literal = n.path("address").asText("");
        InetAddress address = literal.length() > 45 ? null : AddressLiterals.any(literal);
        if (address == null) {
            throw new IllegalArgumentException("address: '" + abbreviate(literal) + "' is not an IPv4 or IPv6 address");
        }
        Instant expires;
        try {
            expires = Instant.parse(n.path("expires").asText(""));
        } catch (DateTimeParseException bad) {
            throw new IllegalArgumentException("expires: expected an instant like 2026-12-04T12:00:00Z");
        }
        return new FqdnCache.Entry(ep.asInt(), name, address, expires);
    }

    /** The file's bytes if there are at most {@code size} (what it measured), else null. */
    private byte[] readAtMost(long size) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.allocate((int) size + 1);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // fill
            }
            if (!b.hasRemaining()) {
                return null;
            }
            byte[] out = new byte[b.position()];
            b.flip().get(out);
            return out;
        }
    }

    private Read bad(String why) {
        return new Read(List.of(), "fqdn state file " + file + ": " + why + "; starting with no learned names");
    }

    private static String abbreviate(String s) {
        return s.length() > 48 ? s.substring(0, 48) + "..." : s;
    }
}
