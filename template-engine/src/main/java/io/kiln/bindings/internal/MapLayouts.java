package io.kiln.bindings.internal;

import io.kiln.object.Btf;
import io.kiln.object.MapInfo;
import io.kiln.object.ObjectInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The key and value layouts of a map, and where two variants' layouts of it differ. */
public record MapLayouts(String map, Optional<Shape> key, Optional<Shape> value) {

    /** A layout from BTF when the map names its type ({@code __type}); raw bytes when it gives only a size. */
    public static MapLayouts of(Btf btf, MapInfo m) {
        return new MapLayouts(m.name(), shape(btf, m.keyTypeId(), m.keySize(), "key"),
                shape(btf, m.valueTypeId(), m.valueSize(), "value"));
    }

    private static Optional<Shape> shape(Btf btf, int typeId, int size, String what) {
        if (typeId != 0) {
            return Optional.of(Shapes.read(btf, typeId));
        }
        return size == 0 ? Optional.empty() : Optional.of(new Shape.Raw(size, what + " given by size only"));
    }

    /**
     * One line per map whose key or value is laid out differently in {@code other} than in
     * {@code base}, or that only one of them has.
     */
    public static List<String> differences(ObjectInfo base, String baseName, ObjectInfo other, String otherName) {
        List<String> out = new ArrayList<>();
        for (MapInfo m : base.maps()) {
            Optional<MapInfo> o = other.map(m.name());
            if (o.isEmpty()) {
                out.add("map " + m.name() + " is in " + baseName + " but not in " + otherName);
                continue;
            }
            MapLayouts a = of(base.btf(), m);
            MapLayouts b = of(other.btf(), o.get());
            if (!Objects.equals(a.key, b.key)) {
                out.add("map " + m.name() + ": the key is laid out differently in " + otherName + " ("
                        + o.get().keySize() + " bytes) than in " + baseName + " (" + m.keySize() + " bytes)");
            }
            if (!Objects.equals(a.value, b.value)) {
                out.add("map " + m.name() + ": the value is laid out differently in " + otherName + " ("
                        + o.get().valueSize() + " bytes) than in " + baseName + " (" + m.valueSize() + " bytes)");
            }
        }
        for (MapInfo m : other.maps()) {
            if (base.map(m.name()).isEmpty()) {
                out.add("map " + m.name() + " is in " + otherName + " but not in " + baseName);
            }
        }
        return out;
    }
}
