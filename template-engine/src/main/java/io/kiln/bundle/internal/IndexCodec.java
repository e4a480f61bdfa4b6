package io.kiln.bundle.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.kiln.template.ProgramDecl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON form of a {@link BundleIndex}. Fields are written in a fixed order and values typed as
 * the descriptor types them (a bool parameter is a JSON boolean), so the same index always gives
 * the same bytes. Reading ignores fields it does not know (a later build may add some within the
 * same format) and names the path of any field that is missing or mistyped.
 */
public final class IndexCodec {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private IndexCodec() {
    }

    public static byte[] write(BundleIndex index) {
        ObjectNode root = NODES.objectNode();
        root.put("format", BundleIndex.FORMAT);
        ArrayNode templates = root.putArray("templates");
        for (BundledTemplate t : index.templates()) {
            templates.add(template(t));
        }
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return (MAPPER.writer(printer).writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a bundle index", e);
        }
    }

    private static ObjectNode template(BundledTemplate t) {
        ObjectNode n = NODES.objectNode();
        n.put("name", t.name());
        ArrayNode programs = n.putArray("programs");
        for (ProgramDecl p : t.programs()) {
            programs.addObject().put("name", p.name()).put("hook", p.hook().yamlName());
        }
        ArrayNode build = n.putArray("build");
        for (BuildParameter p : t.buildParameters()) {
            build.add(Values.parameter(p));
        }
        ArrayNode constants = n.putArray("constants");
        for (ConstantDecl c : t.constants()) {
            constants.addObject().put("name", c.name()).put("type", c.type().yamlName())
                    .put("description", c.description());
        }
        ArrayNode maps = n.putArray("maps");
        for (MapDecl m : t.maps()) {
            maps.addObject().put("name", m.name()).put("scope", m.scope().yamlName()).put("pinned", m.pinned());
        }
        ArrayNode variants = n.putArray("variants");
        for (BundledVariant v : t.variants()) {
            variants.add(variant(v));
        }
        return n;
    }

    private static ObjectNode variant(BundledVariant v) {
        ObjectNode n = NODES.objectNode();
        ObjectNode build = n.putObject("build");
        v.parameters().values().forEach((name, value) -> build.set(name, Values.node(value)));
        n.put("key", v.key().hex());
        n.put("object", v.object());
        n.put("sha256", v.sha256());
        n.put("size", v.size());
        ArrayNode programs = n.putArray("programs");
        for (BundledProgram p : v.programs()) {
            programs.addObject().put("name", p.name()).put("hook", p.hook().yamlName()).put("section", p.section())
                    .put("instructions", p.instructions());
        }
        ArrayNode maps = n.putArray("maps");
        for (BundledMap m : v.maps()) {
            maps.addObject().put("name", m.name()).put("scope", m.scope().yamlName()).put("pinned", m.pinned())
                    .put("type", m.type()).put("keySize", m.keySize()).put("valueSize", m.valueSize())
                    .put("maxEntries", m.maxEntries()).put("flags", m.flags());
        }
        ArrayNode constants = n.putArray("constants");
        for (BundledConstant c : v.constants()) {
            constants.addObject().put("name", c.name()).put("type", c.type().yamlName()).put("offset", c.offset())
                    .put("size", c.size());
        }
        return n;
    }

    public static BundleIndex read(byte[] json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException("bundle " + source + ": " + BundleIndex.PATH + " is not valid JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BundleException("bundle " + source + ": cannot read " + BundleIndex.PATH + ": " + e, e);
        }
        Fields f = new Fields(source);
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

    private static BundledTemplate readTemplate(Fields f, JsonNode n, String at) {
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
        List<BundledVariant> variants = new ArrayList<>();
        f.each(n, at, "variants", (v, vAt) -> variants.add(readVariant(f, v, vAt)));
        return new BundledTemplate(name, programs, build, constants, maps, variants);
    }

    private static BundledVariant readVariant(Fields f, JsonNode n, String at) {
        JsonNode build = f.object(n, at, "build");
        Map<String, Object> values = new TreeMap<>();
        build.fields().forEachRemaining(e -> values.put(e.getKey(), Values.value(f, e.getValue(),
                Fields.join(at, "build." + e.getKey()))));
        String keyText = f.text(n, at, "key");
        VariantKey key;
        try {
            key = VariantKey.of(keyText);
        } catch (IllegalArgumentException e) {
            throw f.error(Fields.join(at, "key"), e.getMessage());
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
