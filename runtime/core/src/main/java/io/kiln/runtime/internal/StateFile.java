package io.kiln.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.EndpointException;
import io.kiln.runtime.NewerStateException;
import io.kiln.runtime.PinLayout;
import io.kiln.Excerpt;
import io.kiln.host.Netns;
import io.kiln.template.Hook;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The state folder: {@code ID.json} per attached endpoint, each written to a temp file in the same
 * folder and renamed over the old one, so a reader (or a process starting after a crash) sees the
 * old state or the new, never half of one. Its home, /run, is usually tmpfs: like the pins it
 * describes, it does not outlive a reboot.
 */
public final class StateFile {
    public static final Path DEFAULT_DIR = Path.of("/run/kiln/endpoints");
    private static final int FORMAT = 1;
    /** A state file names a few programs and pins: far below this. */
    private static final long MAX_BYTES = 1 << 20;
    private static final Pattern FILE = Pattern.compile("(\\d{1,5})\\.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final PinLayout pins;

    /**
     * @param pins where this Kiln pins: every pin a state file names must be the very path Kiln would
     *             have chosen for it under this root, or the file is refused (detach deletes link pins)
     */
    public StateFile(Path dir, PinLayout pins) {
        this.dir = dir.toAbsolutePath().normalize();
        this.pins = java.util.Objects.requireNonNull(pins, "pins");
    }

    public Path dir() {
        return dir;
    }

    public Path path(int endpointId) {
        return dir.resolve(endpointId + ".json");
    }

    public boolean exists(int endpointId) {
        return Files.exists(path(endpointId));
    }

    /** The ids of every endpoint with a state file, ascending. */
    public List<Integer> endpointIds() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> FILE.matcher(p.getFileName().toString())).filter(Matcher::matches)
                    .map(m -> Integer.parseInt(m.group(1))).sorted().toList();
        } catch (IOException e) {
            throw new EndpointException("state folder " + dir + ": list: " + e.getMessage(), false, e);
        }
    }

    public void write(EndpointState s) {
        Path target = path(s.endpointId());
        Path tmp = dir.resolve("." + s.endpointId() + ".json." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(dir);
            byte[] bytes = JSON.writeValueAsBytes(encode(s));
            // no fsync: the file describes pins and links, which a reboot takes away with it; the
            // rename alone is what a process crash needs (a disk flush cost ~3 ms per attach or swap)
            Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new EndpointException("endpoint " + s.endpointId() + ": write state file " + target + ": "
                    + e.getMessage(), false, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temp file is harmless: ids are listed by the final names only
            }
        }
    }

    public Optional<EndpointState> read(int endpointId) {
        Path file = path(endpointId);
        JsonNode root;
        try {
            if (Files.exists(file) && (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES)) {
                // a FIFO would block the read, a device or a huge file would not end: never read
                throw new EndpointException("endpoint " + endpointId + ": state file " + file + " is not a Kiln state file"
                        + " (" + (Files.isRegularFile(file) ? "larger than " + MAX_BYTES + " bytes" : "not a regular file")
                        + "); remove it and the endpoint's pins to start over", false);
            }
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new EndpointException("endpoint " + endpointId + ": state file " + file + " is not a Kiln state file ("
                    + io.kiln.yaml.ParserMessages.of(e) + "); remove it and the endpoint's pins to start over", false, e);
        } catch (IOException e) {
            throw new EndpointException("endpoint " + endpointId + ": read state file " + file + ": " + e.getMessage(),
                    false, e);
        }
        JsonNode format = root.get("format");
        if (format != null && format.canConvertToInt() && format.asInt() > FORMAT) {
            throw new NewerStateException("endpoint " + endpointId + ": state file " + file
                    + " was written by a newer Kiln (state format " + format.asInt() + "; this Kiln reads formats up to "
                    + FORMAT + "): its programs are left running as they are; a Kiln that reads that format can take it "
                    + "over or remove it", format.asInt());
        }
        try {
            EndpointState s = decode(root);
            if (s.endpointId() != endpointId) {
                throw new IllegalArgumentException("it names endpoint " + s.endpointId());
            }
            checkPins(s);
            return Optional.of(s);
        } catch (RuntimeException e) {
            throw new EndpointException("endpoint " + endpointId + ": state file " + file + " is not a Kiln state file ("
                    + e.getMessage() + "); remove it and the endpoint's pins to start over", false, e);
        }
    }

    /**
     * Where a swap records, before it touches any hook, the programs it is about to put there: a
     * process killed between replacing a hook and writing the state file leaves the hook running a
     * program the state file does not name, and this record lets the next process recognize it as
     * Kiln's own (see {@code EndpointLoader.adopt}) instead of as a foreign replacement.
     */
    public Path pendingPath(int endpointId) {
        return dir.resolve(endpointId + ".pending.json");
    }

    /** Program name to the id a swap in progress is putting on its hook. */
    public void writePending(int endpointId, Map<String, Integer> programIds) {
        Path target = pendingPath(endpointId);
        Path tmp = dir.resolve("." + endpointId + ".pending." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.write(tmp, JSON.writeValueAsBytes(new TreeMap<>(programIds)));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new EndpointException("endpoint " + endpointId + ": write " + target + ": " + e.getMessage(), false, e);
        }
    }

    /** What {@link #writePending} recorded and no swap has since finished, or empty. */
    public Map<String, Integer> readPending(int endpointId) {
        Path file = pendingPath(endpointId);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
                return Map.of(); // none, or not a file a swap wrote (a FIFO would block the read): it names nothing
            }
        } catch (IOException e) {
            return Map.of();
        }
        try {
            Map<String, Integer> out = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : JSON.readTree(file.toFile()).properties()) {
                out.put(e.getKey(), e.getValue().asInt());
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return Map.of(); // a torn record names nothing we could trust; the hooks' status tells the rest
        }
    }

    public void deletePending(int endpointId) {
        try {
            Files.deleteIfExists(pendingPath(endpointId));
        } catch (IOException e) {
            throw new EndpointException("endpoint " + endpointId + ": remove " + pendingPath(endpointId) + ": "
                    + e.getMessage(), false, e);
        }
    }

    public void delete(int endpointId) {
        deletePending(endpointId);
        try {
            Files.deleteIfExists(path(endpointId));
        } catch (IOException e) {
            throw new EndpointException("endpoint " + endpointId + ": remove state file " + path(endpointId) + ": "
                    + e.getMessage(), false, e);
        }
    }

    private static ObjectNode encode(EndpointState s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("endpointId", s.endpointId());
        n.put("interface", s.interfaceName());
        n.put("namespace", s.namespace().toString());
        n.put("ifindex", s.ifindex());
        n.put("template", s.template());
        if (s.variantKey() != null) {
            n.put("variantKey", s.variantKey());
        }
        n.put("objectDigest", s.objectDigest());
        n.put("constantsDigest", s.constantsDigest());
        n.put("createdClsact", s.createdClsact());
        ArrayNode programs = n.putArray("programs");
        for (Attachment a : s.attachments()) {
            ObjectNode p = programs.addObject();
            p.put("name", a.program());
            p.put("hook", a.hook().yamlName());
            p.put("kind", a.kind().label());
            p.put("programId", a.programId());
            if (a.linkPin() != null) {
                p.put("linkPin", a.linkPin().toString());
            } else {
                p.put("tcHandle", a.tcHandle());
                p.put("tcPriority", a.tcPriority());
            }
        }
        ObjectNode maps = n.putObject("mapPins");
        s.mapPins().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> maps.put(e.getKey(), e.getValue().toString()));
        n.put("updated", s.updated().toString());
        return n;
    }

    private static EndpointState decode(JsonNode n) {
        int format = required(n, "format").asInt();
        if (format != FORMAT) {
            throw new IllegalArgumentException("format " + format + ", this Kiln reads format " + FORMAT);
        }
        List<Attachment> attachments = new ArrayList<>();
        for (JsonNode p : required(n, "programs")) {
            String hookName = required(p, "hook").asText();
            Hook hook = Hook.fromYaml(hookName).orElseThrow(() -> new IllegalArgumentException("hook '" + hookName + "'"));
            Attachment.Kind kind = Attachment.Kind.fromLabel(required(p, "kind").asText());
            Path pin = p.hasNonNull("linkPin") ? Path.of(p.get("linkPin").asText()) : null;
            attachments.add(new Attachment(required(p, "name").asText(), hook, kind, required(p, "programId").asInt(),
                    pin, p.path("tcHandle").asInt(0), p.path("tcPriority").asInt(0)));
        }
        Map<String, Path> mapPins = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.path("mapPins").properties()) {
            mapPins.put(e.getKey(), Path.of(e.getValue().asText()));
        }
        return new EndpointState(required(n, "endpointId").asInt(), required(n, "interface").asText(),
                Netns.parse(required(n, "namespace").asText()), required(n, "ifindex").asInt(),
                required(n, "template").asText(), n.hasNonNull("variantKey") ? n.get("variantKey").asText() : null,
                required(n, "objectDigest").asText(), required(n, "constantsDigest").asText(),
                n.path("createdClsact").asBoolean(false), attachments, mapPins,
                Instant.parse(required(n, "updated").asText()));
    }

    /**
     * A state file is untrusted input: a pin it names is opened, and a link pin deleted on detach. So
     * each must be exactly where Kiln pins it (links/PROGRAM, endpoints/ID/MAP or node/MAP), by name.
     */
    private void checkPins(EndpointState s) {
        for (Attachment a : s.attachments()) {
            boolean linked = a.kind() != Attachment.Kind.TC_FILTER;
            if (linked != (a.linkPin() != null)) {
                throw new IllegalArgumentException("program " + Excerpt.of(a.program()) + ": "
                        + (linked ? "no linkPin" : "a linkPin for a tc filter"));
            }
            if (linked) {
                expectPin("program " + Excerpt.of(a.program()) + ": linkPin", a.linkPin(), a.program(),
                        pins.link(s.endpointId(), plainName(a.program())));
            }
        }
        for (Map.Entry<String, Path> e : s.mapPins().entrySet()) {
            String name = plainName(e.getKey());
            Path pin = e.getValue();
            if (!pin.equals(pins.endpointMap(s.endpointId(), name))) {
                expectPin("mapPins." + Excerpt.of(name), pin, name, pins.nodeMap(name));
            }
        }
    }

    private static void expectPin(String field, Path pin, String name, Path expected) {
        if (!pin.equals(expected)) {
            throw new IllegalArgumentException(field + " " + Excerpt.of(pin.toString(), 200)
                    + " is not Kiln's pin for '" + Excerpt.of(name) + "' (expected " + expected + ")");
        }
    }

    /** A program or map name as one path segment; anything else would let a pin path climb out. */
    private static String plainName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.length() > 255
                || name.chars().anyMatch(c -> c == '/' || c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("name '" + Excerpt.of(name) + "' is not a plain file name");
        }
        return name;
    }

    private static JsonNode required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("no field '" + field + "'");
        }
        return v;
    }
}
