package io.kiln.bundle.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.bundle.BundleException;
import io.kiln.bundle.BundleIndex;
import io.kiln.bundle.BundledConstant;
import io.kiln.bundle.BundledMap;
import io.kiln.bundle.BundledProgram;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.cache.VariantKey;
import io.kiln.template.BuildParameter;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.MapDecl;
import io.kiln.template.ReasonDecl;
import io.kiln.template.ProgramDecl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON form of a {@link BundleIndex}. Fields are written in a fixed order and values typed as
 * the descriptor types them (a bool parameter is a JSON boolean), so the same index always gives
 * the same bytes. Reading ignores fields it does not know (a later build may add some within the
 * same format) and names the path of any field that is missing or mistyped.
 */
public final class IndexCodec {
    private static final JsonFactory JSON = new JsonFactory();

    private IndexCodec() {
    }

    public static byte[] write(BundleIndex index) {
        // streaming rather than a tree: a build that changed nothing still writes the index to compare
        // it, and jackson-core starts much faster than an ObjectMapper
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.setPrettyPrinter(printer);
            g.writeStartObject();
            g.writeNumberField("format", BundleIndex.FORMAT);
            g.writeArrayFieldStart("templates");
            for (BundledTemplate t : index.templates()) {
                template(g, t);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a bundle index", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void template(JsonGenerator g, BundledTemplate t) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeArrayFieldStart("programs");
        for (ProgramDecl p : t.programs()) {
            g.writeStartObject();
            g.writeStringField("name", p.name());
            g.writeStringField("hook", p.hook().yamlName());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("build");
        for (BuildParameter p : t.buildParameters()) {
            Values.writeParameter(g, p);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("constants");
        for (ConstantDecl c : t.constants()) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeStringField("type", c.type().yamlName());
            g.writeStringField("description", c.description());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("maps");
        for (MapDecl m : t.maps()) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeStringField("scope", m.scope().yamlName());
            g.writeBooleanField("pinned", m.pinned());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("reasons");
        for (ReasonDecl r : t.reasons()) {
            g.writeStartObject();
            g.writeStringField("name", r.name());
            g.writeNumberField("code", r.code());
            g.writeBooleanField("drop", r.drop());
            g.writeStringField("description", r.description());
            g.writeEndObject();
        }
        g.writeEndArray();
        if (t.reasonCounters().isPresent()) {
            g.writeStringField("reasonCounters", t.reasonCounters().get());
        }
        g.writeArrayFieldStart("variants");
        for (BundledVariant v : t.variants()) {
            variant(g, v);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void variant(JsonGenerator g, BundledVariant v) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("build");
        for (Map.Entry<String, Object> e : v.parameters().values().entrySet()) {
            g.writeFieldName(e.getKey());
            Values.writeValue(g, e.getValue());
        }
        g.writeEndObject();
        g.writeStringField("key", v.key().hex());
        g.writeStringField("object", v.object());
        g.writeStringField("sha256", v.sha256());
        g.writeNumberField("size", v.size());
        g.writeArrayFieldStart("programs");
        for (BundledProgram p : v.programs()) {
            g.writeStartObject();
            g.writeStringField("name", p.name());
            g.writeStringField("hook", p.hook().yamlName());
            g.writeStringField("section", p.section());
            g.writeNumberField("instructions", p.instructions());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("maps");
        for (BundledMap m : v.maps()) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeStringField("scope", m.scope().yamlName());
            g.writeBooleanField("pinned", m.pinned());
            g.writeStringField("type", m.type());
            g.writeNumberField("keySize", m.keySize());
            g.writeNumberField("valueSize", m.valueSize());
            g.writeNumberField("maxEntries", m.maxEntries());
            g.writeNumberField("flags", m.flags());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("constants");
        for (BundledConstant c : v.constants()) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeStringField("type", c.type().yamlName());
            g.writeNumberField("offset", c.offset());
            g.writeNumberField("size", c.size());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    public static BundleIndex read(byte[] json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException("bundle " + source + ": " + BundleIndex.PATH + " is not valid JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BundleException("bundle " + source + ": cannot read " + BundleIndex.PATH + ": " + e, e);
        }
        IndexFields f = new IndexFields(source);
        if (root == null || !root.isObject()) {
            throw f.error("", "expected a JSON object");
        }
        int format = f.integer(root, "", "format");
        if (format < 1 || format > BundleIndex.FORMAT) {
            throw f.error("format", "format " + format + " is not one this Kiln reads (1.." + BundleIndex.FORMAT
                    + "); use a Kiln at least as new as the one that built the bundle");
        }
        List<BundledTemplate> templates = new ArrayList<>();
        f.each(root, "", "templates", (node, at) -> templates.add(readTemplate(f, node, at)));
        try {
            return new BundleIndex(templates);
        } catch (IllegalArgumentException e) {
            throw f.error("templates", e.getMessage());
        }
    }

    private static BundledTemplate readTemplate(IndexFields f, JsonNode n, String at) {
        String name = f.text(n, at, "name");
        List<ProgramDecl> programs = new ArrayList<>();
        f.each(n, at, "programs", (p, pAt) -> programs.add(new ProgramDecl(f.text(p, pAt, "name"),
                f.hook(p, pAt, "hook"))));
        List<BuildParameter> build = new ArrayList<>();
        f.each(n, at, "build", (p, pAt) -> build.add(Values.readParameter(f, p, pAt)));
        List<ConstantDecl> constants = new ArrayList<>();
        f.each(n, at, "constants", (c, cAt) -> constants.add(new ConstantDecl(f.text(c, cAt, "name"),
                f.constantType(c, cAt, "type"), f.optionalText(c, "description"))));
        List<MapDecl> maps = new ArrayList<>();
        f.each(n, at, "maps", (m, mAt) -> maps.add(new MapDecl(f.text(m, mAt, "name"), f.scope(m, mAt, "scope"),
                f.bool(m, mAt, "pinned"))));
        // reasons came later than the rest: an index written before them has none
        List<ReasonDecl> reasons = new ArrayList<>();
        if (n.has("reasons")) {
            f.each(n, at, "reasons", (r, rAt) -> {
                int code = f.integer(r, rAt, "code");
                if (code < 0 || code > ReasonDecl.MAX_CODE) {
                    throw f.error(IndexFields.join(rAt, "code"), "expected 0 to " + ReasonDecl.MAX_CODE + ", got " + code);
                }
                reasons.add(new ReasonDecl(f.text(r, rAt, "name"), code, f.bool(r, rAt, "drop"),
                        f.optionalText(r, "description")));
            });
        }
        Optional<String> counters = n.has("reasonCounters") ? Optional.of(f.text(n, at, "reasonCounters"))
                : Optional.empty();
        List<BundledVariant> variants = new ArrayList<>();
        f.each(n, at, "variants", (v, vAt) -> variants.add(readVariant(f, v, vAt)));
        return new BundledTemplate(name, programs, build, constants, maps, reasons, counters, variants);
    }

    private static BundledVariant readVariant(IndexFields f, JsonNode n, String at) {
        JsonNode build = f.object(n, at, "build");
        Map<String, Object> values = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : build.properties()) {
            values.put(e.getKey(), Values.value(f, e.getValue(), IndexFields.join(at, "build." + e.getKey())));
        }
        String keyText = f.text(n, at, "key");
        VariantKey key;
        try {
            key = VariantKey.of(keyText);
        } catch (IllegalArgumentException e) {
            throw f.error(IndexFields.join(at, "key"), e.getMessage());
        }
        List<BundledProgram> programs = new ArrayList<>();
        f.each(n, at, "programs", (p, pAt) -> programs.add(new BundledProgram(f.text(p, pAt, "name"),
                f.hook(p, pAt, "hook"), f.text(p, pAt, "section"), f.integer(p, pAt, "instructions"))));
        List<BundledMap> maps = new ArrayList<>();
        f.each(n, at, "maps", (m, mAt) -> maps.add(new BundledMap(f.text(m, mAt, "name"), f.scope(m, mAt, "scope"),
                f.bool(m, mAt, "pinned"), f.text(m, mAt, "type"), f.integer(m, mAt, "keySize"),
                f.integer(m, mAt, "valueSize"), f.integer(m, mAt, "maxEntries"), f.integer(m, mAt, "flags"))));
        List<BundledConstant> constants = new ArrayList<>();
        f.each(n, at, "constants", (c, cAt) -> constants.add(new BundledConstant(f.text(c, cAt, "name"),
                f.constantType(c, cAt, "type"), f.integer(c, cAt, "offset"), f.integer(c, cAt, "size"))));
        return new BundledVariant(BuildParameters.of(values), key, f.text(n, at, "object"), f.text(n, at, "sha256"),
                f.longValue(n, at, "size"), programs, maps, constants);
    }
}
