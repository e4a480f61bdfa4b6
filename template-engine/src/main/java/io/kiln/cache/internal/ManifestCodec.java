package io.kiln.cache.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.cache.DependencyManifest;
import io.kiln.cache.VariantKey;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The manifest's file format: small JSON, versioned, and read defensively (a bad file is no manifest). */
public final class ManifestCodec {
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestCodec() {
    }

    public static byte[] encode(DependencyManifest manifest) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        root.put("inputKey", manifest.inputKey());
        root.put("variantKey", manifest.variantKey().hex());
        ArrayNode headers = root.putArray("headers");
        for (DependencyManifest.Header h : manifest.headers()) {
            headers.addObject().put("path", h.path().toString()).put("name", h.name()).put("sha256", h.sha256());
        }
        ArrayNode absent = root.putArray("absent");
        manifest.absent().forEach(p -> absent.add(p.toString()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** The manifest, or empty if the bytes are not a complete manifest of this version for {@code inputKey}. */
    public static Optional<DependencyManifest> decode(byte[] bytes, String inputKey) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || root.path("version").asInt() != VERSION
                    || !inputKey.equals(root.path("inputKey").asText())) {
                return Optional.empty();
            }
            VariantKey key = VariantKey.of(root.path("variantKey").asText());
            List<DependencyManifest.Header> headers = new ArrayList<>();
            for (JsonNode h : root.path("headers")) {
                headers.add(new DependencyManifest.Header(Path.of(text(h, "path")), text(h, "name"), text(h, "sha256")));
            }
            List<Path> absent = new ArrayList<>();
            for (JsonNode p : root.path("absent")) {
                absent.add(Path.of(p.asText()));
            }
            if (!root.path("headers").isArray() || !root.path("absent").isArray()) {
                return Optional.empty();
            }
            return Optional.of(new DependencyManifest(inputKey, key, headers, absent));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException("manifest header without " + field);
        }
        return value.asText();
    }
}
