package io.kiln.template.internal;

import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.MapDecl;
import io.kiln.template.ProgramDecl;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data model a template sees: each build parameter as a top-level variable (Boolean, Long or
 * String), and {@code kiln}, a hash describing the template. Only maps, lists, strings, numbers
 * and booleans, plus the one directive: nothing a template could call methods on.
 */
public final class RenderModel {
    private RenderModel() {
    }

    public static Map<String, Object> build(TemplateDescriptor t, BuildParameters p, TemplateRootsLoader loader) {
        Map<String, Object> root = new LinkedHashMap<>(p.values());
        Map<String, Object> kiln = new LinkedHashMap<>();
        kiln.put("template", t.name());
        kiln.put("variant", p.canonical());
        kiln.put("constants", t.constants().stream().map(RenderModel::constant).toList());
        kiln.put("programs", t.programs().stream().map(RenderModel::program).toList());
        kiln.put("maps", t.maps().stream().map(RenderModel::map).toList());
        kiln.put("reasons", t.reasons().stream().map(RenderModel::reason).toList());
        kiln.put("reasonCounters", t.reasonCounters().orElse(""));
        kiln.put("declareConstants", new DeclareConstantsDirective(t.constants(), loader));
        kiln.put("declareReasons", new DeclareReasonsDirective(t.reasons(), loader));
        root.put(BuildParameterReader.MODEL_NAME, kiln);
        return root;
    }

    private static Map<String, Object> constant(ConstantDecl c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("type", c.type().yamlName());
        m.put("size", c.type().size());
        m.put("ctype", CTypes.ctype(c.type()));
        m.put("length", CTypes.length(c.type()));
        m.put("declaration", CTypes.declaration(c));
        m.put("description", c.description());
        return m;
    }

    private static Map<String, Object> program(ProgramDecl p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("hook", p.hook().yamlName());
        m.put("section", switch (p.hook()) {
            case TC_INGRESS, TC_EGRESS -> "tc";
            case XDP -> "xdp";
        });
        return m;
    }

    private static Map<String, Object> reason(ReasonDecl r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("macro", r.macro());
        m.put("code", r.code());
        m.put("drop", r.drop());
        m.put("description", r.description());
        return m;
    }

    private static Map<String, Object> map(MapDecl d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("scope", d.scope().yamlName());
        m.put("pinned", d.pinned());
        return m;
    }
}
