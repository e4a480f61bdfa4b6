package io.kiln.agent.dataplane.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.KilnException;
import io.kiln.agent.plan.PlanFingerprint;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * What each endpoint's programs were built from, {@code ID.fingerprint.json} beside the runtime's
 * state file {@code ID.json}: a restarted agent compares it with the plan and reloads nothing that
 * did not change. Written after the programs are attached or swapped, by rename (a crash leaves the
 * old file, and the next agent reloads once); no fsync, like the state file: /run does not outlive
 * the pins it describes.
 */
public final class Fingerprints {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public Fingerprints(Path dir) {
        this.dir = dir;
    }

    public Path file(int endpointId) {
        return dir.resolve(endpointId + ".fingerprint.json");
    }

    public void write(int endpointId, PlanFingerprint f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("attachment", f.attachment());
        n.put("template", f.template());
        n.put("build", f.build());
        n.put("constants", f.constants());
        n.put("sources", f.sources());
        Path target = file(endpointId);
        Path tmp = dir.resolve("." + endpointId + ".fingerprint." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.write(tmp, JSON.writeValueAsBytes(n));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new KilnException("endpoint " + endpointId + ": write " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temp file is harmless
            }
        }
    }

    /** The fingerprint, or null when there is none or it cannot be read (the endpoint is then reloaded once). */
    public PlanFingerprint read(int endpointId) {
        try {
            Path f = file(endpointId);
            if (Files.exists(f) && (!Files.isRegularFile(f) || Files.size(f) > 1 << 20)) {
                return null; // not a file this agent wrote (a FIFO would block the read): reloaded once
            }
            JsonNode n = JSON.readTree(Files.readAllBytes(f));
            return new PlanFingerprint(n.get("attachment").asText(), n.get("template").asText(), n.get("build").asText(),
                    n.get("constants").asText(), n.hasNonNull("sources") ? n.get("sources").asText() : "");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public void delete(int endpointId) {
        try {
            Files.deleteIfExists(file(endpointId));
        } catch (IOException e) {
            throw new KilnException("endpoint " + endpointId + ": remove " + file(endpointId) + ": " + e.getMessage(), e);
        }
    }
}
