package io.kiln.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.bpf.MapDefinition;
import io.kiln.bpf.MapLayout;
import io.kiln.runtime.EndpointException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The layout each pinned map was created with, kept beside the state files (bpffs holds no regular
 * files): {@code DIR/node/MAP.json} for node maps, {@code DIR/ID/MAP.json} for an endpoint's. Each
 * record names the kernel id of the map it describes, so a record left over from another map at the
 * same pin is not believed. Records are untrusted input: bounded in size and field count, every
 * name, offset and size checked; anything wrong makes the layout unknown (with the reason).
 *
 * <p>A retired node map (an old map a migration replaced, kept for a catch-up: {@link RetiredNodeMaps})
 * has its record in {@code DIR/retired/MAP-ID.json}: the old map's id and layout, and under {@code to}
 * the layout it was migrated to.
 */
public final class LayoutRecords {
    private static final int FORMAT = 1;
    private static final long MAX_BYTES = 64 * 1024;
    private static final int MAX_SIZE = 1 << 16;
    private static final Pattern MAP_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z0-9_.]{0,256}");
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_ :@\\[\\]()?]{1,80}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RETIRED = "retired";
    private static final String MIGRATING = "migrating";

    private final Path dir;

    public LayoutRecords(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    /** What a record said: the layout of the map with kernel id {@code mapId}. */
    public record Recorded(int mapId, MapLayout layout) {
    }

    /** A record, or why there is none usable. */
    public record Lookup(Recorded recorded, String problem) {
        public boolean found() {
            return recorded != null;
        }
    }

    /** The record of node map {@code map} ({@code endpointId} null) or endpoint map; null if the name cannot be a file. */
    public Path path(Integer endpointId, String map) {
        if (!MAP_NAME.matcher(map).matches()) {
            return null;
        }
        return dir.resolve(endpointId == null ? "node" : Integer.toString(endpointId)).resolve(map + ".json");
    }

    public Lookup read(Integer endpointId, String map) {
        Path file = path(endpointId, map);
        if (file == null) {
            return new Lookup(null, "the map name " + map + " cannot name a record file");
        }
        Raw raw = readRecord(file, map);
        if (raw.problem() != null) {
            return new Lookup(null, raw.problem());
        }
        try {
            int mapId = intOf(raw.root(), "mapId", 1, Integer.MAX_VALUE);
            return new Lookup(new Recorded(mapId, decodeLayout(raw.root())), null);
        } catch (RuntimeException e) {
            return new Lookup(null, "layout record " + file + " is not valid (" + e.getMessage() + ")");
        }
    }

    /**
     * What the record of a retired node map said: the old map's kernel id, its layout ({@code from})
     * and the layout it was migrated to ({@code to}).
     */
    public record RetiredRecord(int mapId, MapLayout from, MapLayout to) {
    }

    /** A retired node map's record, or why there is none usable. */
    public record RetiredLookup(RetiredRecord recorded, String problem) {
        public boolean found() {
            return recorded != null;
        }
    }

    /** The folder of retired node maps' records: {@code DIR/retired/}. */
    public Path retiredDir() {
        return dir.resolve(RETIRED);
    }

    /** The record of the retired node map pinned as {@code name} ({@code MAP-ID}); null if the name cannot be a file. */
    public Path retiredPath(String name) {
        return MAP_NAME.matcher(name).matches() ? retiredDir().resolve(name + ".json") : null;
    }

    public RetiredLookup readRetired(String name) {
        Path file = retiredPath(name);
        if (file == null) {
            return new RetiredLookup(null, "the name " + name + " cannot name a record file");
        }
        Raw raw = readRecord(file, name);
        if (raw.problem() != null) {
            return new RetiredLookup(null, raw.problem());
        }
        try {
            int mapId = intOf(raw.root(), "mapId", 1, Integer.MAX_VALUE);
            MapLayout from = decodeLayout(raw.root());
            JsonNode to = raw.root().get("to");
            if (to == null || !to.isObject()) {
                throw new IllegalArgumentException("to: expected the layout migrated to, an object");
            }
            return new RetiredLookup(new RetiredRecord(mapId, from, decodeLayout(to)), null);
        } catch (RuntimeException e) {
            return new RetiredLookup(null, "layout record " + file + " is not valid (" + e.getMessage() + ")");
        }
    }

    /** Records the retired node map pinned as {@code name}: map {@code mapId} laid out as {@code from}, migrated to {@code to}. */
    public void writeRetired(String name, int mapId, MapLayout from, MapLayout to) {
        Path file = retiredPath(name);
        if (file == null) {
            throw new EndpointException("retired node map " + name + ": the name cannot name a record file", false);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("map", name);
        root.put("mapId", mapId);
        putLayout(root, from);
        putLayout(root.putObject("to"), to);
        writeFile(file, name, root);
    }

    /** Removes the record of the retired node map pinned as {@code name}, if any. */
    public void deleteRetired(String name) {
        Path file = retiredPath(name);
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new EndpointException("retired node map " + name + ": remove layout record " + file + ": "
                    + e.getMessage(), false, e);
        }
    }

    /**
     * What the record of a node map being migrated said: the new map's kernel id ({@code mapId}),
     * pinned as {@code MAP-migrating} until the commit, and the old map's ({@code oldMapId}) at the
     * live pin, with the old map's layout ({@code from}) and the new one's ({@code to}).
     */
    public record MigratingRecord(int mapId, int oldMapId, MapLayout from, MapLayout to) {
    }

    /** A migrating node map's record, or why there is none usable. */
    public record MigratingLookup(MigratingRecord recorded, String problem) {
        public boolean found() {
            return recorded != null;
        }
    }

    /** The folder of the records of node maps being migrated: {@code DIR/migrating/}. */
    public Path migratingDir() {
        return dir.resolve(MIGRATING);
    }

    /** The record of node map {@code map}'s migration in progress; null if the name cannot be a file. */
    public Path migratingPath(String map) {
        return MAP_NAME.matcher(map).matches() ? migratingDir().resolve(map + ".json") : null;
    }

    /** Records that node map {@code map} (map {@code oldMapId}, laid out as {@code from}) is being migrated into map {@code mapId} ({@code to}). */
    public void writeMigrating(String map, int mapId, int oldMapId, MapLayout from, MapLayout to) {
        Path file = migratingPath(map);
        if (file == null) {
            throw new EndpointException("node map " + map + ": the name cannot name a record file", false);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("map", map);
        root.put("mapId", mapId);
        root.put("oldMapId", oldMapId);
        putLayout(root, from);
        putLayout(root.putObject("to"), to);
        writeFile(file, map, root);
    }

    public MigratingLookup readMigrating(String map) {
        Path file = migratingPath(map);
        if (file == null) {
            return new MigratingLookup(null, "the name " + map + " cannot name a record file");
        }
        Raw raw = readRecord(file, map);
        if (raw.problem() != null) {
            return new MigratingLookup(null, raw.problem());
        }
        try {
            int mapId = intOf(raw.root(), "mapId", 1, Integer.MAX_VALUE);
            int oldMapId = intOf(raw.root(), "oldMapId", 1, Integer.MAX_VALUE);
            MapLayout from = decodeLayout(raw.root());
            JsonNode to = raw.root().get("to");
            if (to == null || !to.isObject()) {
                throw new IllegalArgumentException("to: expected the layout migrated to, an object");
            }
            return new MigratingLookup(new MigratingRecord(mapId, oldMapId, from, decodeLayout(to)), null);
        } catch (RuntimeException e) {
            return new MigratingLookup(null, "layout record " + file + " is not valid (" + e.getMessage() + ")");
        }
    }

    /** Removes the record of node map {@code map}'s migration, if any. */
    public void deleteMigrating(String map) {
        Path file = migratingPath(map);
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new EndpointException("node map " + map + ": remove migration record " + file + ": "
                    + e.getMessage(), false, e);
        }
    }

    private record Raw(JsonNode root, String problem) {
    }

    /** A record file read as untrusted input: a regular file (never through a link), bounded, format and name checked. */
    private static Raw readRecord(Path file, String map) {
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // a FIFO would block the open, a device or a link could lead anywhere: never opened
            return new Raw(null, "layout record " + file + " is not a regular file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes((int) MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            return new Raw(null, "no layout record at " + file);
        } catch (IOException e) {
            return new Raw(null, "layout record " + file + " unreadable: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            return new Raw(null, "layout record " + file + " is larger than " + MAX_BYTES + " bytes");
        }
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            if (intOf(root, "format", 1, 1000) != FORMAT) {
                throw new IllegalArgumentException("format " + root.get("format") + ", this Kiln reads format " + FORMAT);
            }
            if (!map.equals(text(root, "map"))) {
                throw new IllegalArgumentException("it names map " + text(root, "map"));
            }
            return new Raw(root, null);
        } catch (IOException | RuntimeException e) {
            return new Raw(null, "layout record " + file + " is not valid (" + e.getMessage() + ")");
        }
    }

    /** Writes the record through a temp file and a rename. */
    public void write(Integer endpointId, String map, int mapId, MapLayout layout) {
        Path file = path(endpointId, map);
        if (file == null) {
            return; // a name no file can have: its layout stays unknown
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("map", map);
        root.put("mapId", mapId);
        putLayout(root, layout);
        writeFile(file, map, root);
    }

    private static void putLayout(ObjectNode o, MapLayout layout) {
        MapDefinition d = layout.definition();
        o.put("type", d.type());
        o.put("keySize", d.keySize());
        o.put("valueSize", d.valueSize());
        o.put("maxEntries", Integer.toUnsignedLong(d.maxEntries()));
        o.put("flags", d.flags());
        o.set("key", fields(layout.key()));
        o.set("value", fields(layout.value()));
    }

    private static void writeFile(Path file, String map, ObjectNode root) {
        Path tmp = file.resolveSibling("." + map + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.write(tmp, JSON.writeValueAsBytes(root), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new EndpointException("map " + map + ": write layout record " + file + ": " + e.getMessage(), false, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temp file is never read: records are found by their final names
            }
        }
    }

    /** Removes the records of endpoint {@code id} (its maps are gone with its pins). */
    public void deleteEndpoint(int endpointId) {
        deleteTree(dir.resolve(Integer.toString(endpointId)));
    }

    /** Removes every record (uninstall). */
    public void deleteAll() {
        deleteTree(dir);
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try {
            io.kiln.FileTrees.delete(p);
        } catch (IOException e) {
            throw new EndpointException("remove layout records " + p + ": " + e.getMessage(), false, e);
        }
    }

    private static ArrayNode fields(List<MapLayout.Field> fields) {
        ArrayNode a = JSON.createArrayNode();
        for (MapLayout.Field f : fields) {
            ObjectNode o = a.addObject();
            o.put("name", f.name());
            o.put("offset", f.offset());
            o.put("size", f.size());
            o.put("type", f.type());
        }
        return a;
    }

    private static MapLayout decodeLayout(JsonNode root) {
        int type = intOf(root, "type", 1, 255);
        int keySize = intOf(root, "keySize", 0, MAX_SIZE);
        int valueSize = intOf(root, "valueSize", 0, MAX_SIZE);
        long max = longOf(root, "maxEntries", 0, 0xffffffffL);
        int flags = intOf(root, "flags", 0, Integer.MAX_VALUE);
        MapDefinition d = new MapDefinition(type, keySize, valueSize, (int) max, flags);
        return new MapLayout(d, decodeFields(root, "key", keySize), decodeFields(root, "value", valueSize));
    }

    private static List<MapLayout.Field> decodeFields(JsonNode root, String name, int size) {
        JsonNode a = root.get(name);
        if (a == null || !a.isArray()) {
            throw new IllegalArgumentException(name + ": expected an array of fields");
        }
        if (a.size() > MapLayout.MAX_FIELDS) {
            throw new IllegalArgumentException(name + ": more than " + MapLayout.MAX_FIELDS + " fields");
        }
        List<MapLayout.Field> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            JsonNode f = a.get(i);
            String at = name + "[" + i + "]";
            if (!f.isObject()) {
                throw new IllegalArgumentException(at + ": expected an object");
            }
            String fieldName = text(f, "name");
            String type = text(f, "type");
            if (!FIELD_NAME.matcher(fieldName).matches()) {
                throw new IllegalArgumentException(at + ".name: not a field name");
            }
            if (!TYPE.matcher(type).matches()) {
                throw new IllegalArgumentException(at + ".type: not a type name");
            }
            int offset = intOf(f, "offset", 0, size);
            int fieldSize = intOf(f, "size", 1, size);
            if (offset + fieldSize > size) {
                throw new IllegalArgumentException(at + ": offset " + offset + " + size " + fieldSize + " is past the "
                        + size + " bytes of the " + name);
            }
            out.add(new MapLayout.Field(fieldName, offset, fieldSize, type));
        }
        return out;
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(field + ": expected a string");
        }
        return v.asText();
    }

    private static int intOf(JsonNode o, String field, int min, int max) {
        return (int) longOf(o, field, min, max);
    }

    private static long longOf(JsonNode o, String field, long min, long max) {
        JsonNode v = o.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + ": expected an integer");
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw new IllegalArgumentException(field + ": " + n + " is outside " + min + ".." + max);
        }
        return n;
    }
}
