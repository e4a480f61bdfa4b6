package io.kiln.runtime;

import io.kiln.bpf.BpfFs;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.runtime.internal.EndpointConstantCheck;
import io.kiln.runtime.internal.Errors;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a template's object into an endpoint's loaded programs: opens the object, checks and sets
 * the endpoint's constants in {@code .rodata}, points the template's pinned maps at their pins
 * (per-endpoint maps under {@code endpoints/ID/}, node maps under {@code node/}; an existing pin
 * is reused after a compatibility check, else the map is created and pinned) and loads it.
 * Nothing is attached; the kernel's hooks are untouched whatever fails here.
 */
public final class Specializer {
    /** Two endpoints creating the same node map at once would race to pin it; one at a time in this process. */
    static final Object NODE_MAP_CREATION = new Object();

    private final PinLayout pins;
    private volatile boolean bpffsChecked;

    public Specializer(PinLayout pins) {
        this.pins = Objects.requireNonNull(pins, "pins");
    }

    public PinLayout pins() {
        return pins;
    }

    /**
     * Loads {@code object} specialized for {@code endpoint}.
     *
     * @throws EndpointException                    a constant the template does not declare, of the wrong size, or
     *                                              not matching the object; a declared program or map the object lacks
     * @throws io.kiln.bpf.VerifierException       the kernel's verifier rejected a program (with its log)
     * @throws io.kiln.bpf.BpfException             any other libbpf or kernel failure, e.g. a pinned map whose
     *                                              definition differs from the object's (both named)
     */
    public SpecializedEndpoint specialize(TemplateObject object, Endpoint endpoint) {
        TemplateDescriptor t = object.template();
        String prefix = endpoint.label() + ": template " + t.name() + ": ";
        EndpointConstantCheck.declared(t, endpoint.constants(), prefix);
        checkMapNames(t, prefix);
        String objectName = objectName(t.name());
        BpfObject bpf;
        try {
            bpf = BpfObject.open(object.bytesNoCopy(), objectName);
        } catch (RuntimeException e) {
            throw Errors.withContext(prefix, e);
        }
        try {
            for (ProgramDecl p : t.programs()) {
                bpf.program(p.name()); // fails naming the programs the object has
            }
            Map<String, byte[]> toSet = EndpointConstantCheck.againstObject(t, bpf, endpoint.constants(), prefix);
            toSet.forEach(bpf::setConstant);
            Map<String, Path> mapPins = new LinkedHashMap<>();
            boolean createsNodeMap = false;
            for (MapDecl m : t.maps()) {
                BpfMap map = bpf.map(m.name());
                if (!m.pinned()) {
                    continue;
                }
                Path pin = m.scope() == MapScope.NODE ? pins.nodeMap(m.name()) : pins.endpointMap(endpoint.id(), m.name());
                createDirectories(pin.getParent(), prefix);
                map.setPinPath(pin);
                mapPins.put(m.name(), pin);
                createsNodeMap |= m.scope() == MapScope.NODE && !Files.exists(pin);
            }
            if (createsNodeMap) {
                synchronized (NODE_MAP_CREATION) {
                    bpf.load();
                }
            } else {
                bpf.load();
            }
            return new SpecializedEndpoint(endpoint, object, bpf, mapPins);
        } catch (RuntimeException e) {
            bpf.close();
            throw e instanceof EndpointException ? e : Errors.withContext(messagePrefix(e, prefix, objectName), e);
        }
    }

    /**
     * Makes sure the pin root is on a bpffs: under /sys/fs/bpf, bpffs is mounted there if it is not;
     * elsewhere a bpffs must already be mounted at the root or above it. Kiln never mounts over any
     * other folder: a mount would hide what that folder holds (a mistyped --pin-root of /etc...).
     */
    public void ensureBpffs() {
        if (bpffsChecked) {
            return; // once per specializer: nobody unmounts bpffs under a running agent
        }
        Path root = pins.root();
        if (root.startsWith(BpfFs.DEFAULT)) {
            BpfFs.ensureMounted(BpfFs.DEFAULT);
        } else if (!BpfFs.isOnBpffs(root)) {
            throw new EndpointException("pin root " + root + " is not on a bpffs and not under " + BpfFs.DEFAULT
                    + ": choose a root under " + BpfFs.DEFAULT + ", or mount one there first (mount -t bpf bpf "
                    + root + "); Kiln does not mount over other folders", true);
        }
        bpffsChecked = true;
    }

    /** libbpf's messages start with "object NAME": then "template NAME" in front of it says nothing new. */
    private static String messagePrefix(RuntimeException e, String prefix, String objectName) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith("object " + objectName + ":") ? prefix.substring(0, prefix.indexOf(": ") + 2) : prefix;
    }

    private static void checkMapNames(TemplateDescriptor t, String prefix) {
        for (MapDecl m : t.maps()) {
            if (m.scope() == MapScope.ENDPOINT && m.pinned() && m.name().equals(PinLayout.LINKS)) {
                throw new EndpointException(prefix + "map " + m.name() + ": the name is taken by the endpoint's "
                        + PinLayout.LINKS + "/ folder of pins; rename the map", true);
            }
        }
    }

    /** The template's name as libbpf accepts an object name (it prefixes the object's internal maps). */
    static String objectName(String template) {
        String s = template.replaceAll("[^A-Za-z0-9_.-]", "_");
        return s.isEmpty() ? "kiln" : s.length() > 64 ? s.substring(0, 64) : s;
    }

    private static void createDirectories(Path dir, String prefix) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new EndpointException(prefix + "create pin folder " + dir + ": " + e.getMessage()
                    + " (is bpffs mounted there?)", false, e);
        }
    }
}
