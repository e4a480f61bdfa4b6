package io.kiln.bindings.internal;

import io.kiln.object.MapInfo;
import io.kiln.template.MapDecl;
import java.util.Optional;

/** Writes the class of one map: its name, type and sizes, and records for its key and value. */
final class MapEmitter {
    private final JavaCode c;

    MapEmitter(JavaCode c) {
        this.c = c;
    }

    void emit(String className, MapInfo m, Optional<MapDecl> declared, MapLayouts layouts, String variant) {
        boolean perCpu = m.typeName().startsWith("percpu") || m.typeName().startsWith("lru_percpu");
        String scope = declared.map(d -> ", scope " + d.scope().yamlName() + (d.pinned() ? ", pinned" : ", not pinned"))
                .orElse(", not declared in the descriptor");
        c.blank();
        String title = "Map {@code " + m.name() + "}: " + m.typeName() + scope + ".";
        if (perCpu && layouts.value().isPresent()) {
            c.doc(title, "Its value is per CPU: {@link Value} is one CPU's slot.");
        } else {
            c.doc(title);
        }
        c.line("public static final class " + className + " {");
        c.line("public static final String NAME = " + JavaCode.literal(m.name()) + ";");
        c.doc("libbpf's name of the map type.");
        c.line("public static final String TYPE = " + JavaCode.literal(m.typeName()) + ";");
        c.line("public static final int KEY_SIZE = " + m.keySize() + ";");
        c.line("public static final int VALUE_SIZE = " + m.valueSize() + ";");
        c.doc("{@code max_entries} in " + JavaCode.text(variant) + "; a build parameter may set it differently in other variants.");
        c.line("public static final int MAX_ENTRIES = " + m.maxEntries() + ";");
        c.blank();
        c.line("private " + className + "() {");
        c.line("}");
        RecordEmitter records = new RecordEmitter(c, "Key", "Value");
        layouts.key().ifPresent(k -> records.emit("Key", k, "A key of {@code " + m.name() + "}, "
                + m.keySize() + " bytes" + typeDoc(k) + "."));
        layouts.value().ifPresent(v -> records.emit("Value", v, "A value of {@code " + m.name() + "}, "
                + m.valueSize() + " bytes" + typeDoc(v) + (perCpu ? ", one CPU's slot" : "") + "."));
        c.line("}");
    }

    private static String typeDoc(Shape s) {
        if (s instanceof Shape.Struct st) {
            return ": {@code struct " + JavaCode.text(st.cName().isEmpty() ? "(anonymous)" : st.cName()) + "}";
        } else if (s instanceof Shape.Scalar sc) {
            return ": {@code " + JavaCode.text(sc.cType()) + "}";
        } else if (s instanceof Shape.Array a) {
            return ": {@code " + JavaCode.text(a.cType()) + "}";
        }
        return ": " + JavaCode.text(((Shape.Raw) s).why());
    }
}
