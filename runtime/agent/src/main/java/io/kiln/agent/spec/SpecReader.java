package io.kiln.agent.spec;

import io.kiln.agent.spec.internal.EndpointReader;
import io.kiln.yaml.LocatedNode;
import io.kiln.agent.spec.internal.PolicyReader;
import io.kiln.agent.spec.internal.ServiceReader;
import io.kiln.agent.spec.internal.TreeReader;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads endpoint, policy and service specs from YAML or JSON (a document starting with
 * <code>{</code>, or a {@code .json} file, is read as JSON). Unknown fields are errors. Every
 * error is a {@link SpecException} naming the source, line and field.
 */
public final class SpecReader {
    /** Files larger than this are refused: a spec is a few hundred bytes. */
    public static final int MAX_BYTES = 1 << 20;

    private SpecReader() {
    }

    /** A spec of {@code kind} from {@code text}; {@code source} names it in errors. */
    public static Spec read(SpecKind kind, String source, String text) {
        return switch (kind) {
            case ENDPOINT -> endpoint(source, text);
            case POLICY -> policy(source, text);
            case SERVICE -> service(source, text);
        };
    }

    public static EndpointSpec endpoint(String source, String text) {
        return new EndpointReader(source).read(root(source, text, "an endpoint"));
    }

    public static PolicySpec policy(String source, String text) {
        return new PolicyReader(source).read(root(source, text, "a policy"));
    }

    public static ServiceSpec service(String source, String text) {
        return new ServiceReader(source).read(root(source, text, "a service"));
    }

    /** The spec of {@code kind} in {@code file}; the source in errors is the file's path. */
    public static Spec read(SpecKind kind, Path file) {
        return read(kind, file.toString(), text(file));
    }

    /**
     * A policy from the {@code spec} of a Kubernetes object (plain maps and lists as the client
     * gives them); {@code source} names the object in errors, e.g. {@code KilnPolicy default/web}.
     */
    public static PolicySpec kubernetesPolicy(String source, Map<String, Object> spec, String name, String namespace) {
        return new PolicyReader(source).readKubernetes(TreeReader.fromObject(source, spec, "spec"), name,
                namespace);
    }

    /**
     * An endpoint from plain Java values in the endpoint format (as a source that maps other
     * objects, such as Pods, builds them); {@code source} names the object in errors.
     */
    public static EndpointSpec endpoint(String source, Map<String, Object> tree) {
        return new EndpointReader(source).read(TreeReader.fromObject(source, tree, ""));
    }

    /** A service from the {@code spec} of a Kubernetes object. */
    public static ServiceSpec kubernetesService(String source, Map<String, Object> spec, String name) {
        return new ServiceReader(source).readKubernetes(TreeReader.fromObject(source, spec, "spec"), name);
    }

    /**
     * The id (endpoints) or name (policies, services) a document gives, if it can be read that far,
     * so that an error in a spec can still be filed under the spec it is about.
     */
    public static java.util.Optional<String> guessKey(SpecKind kind, String text) {
        try {
            LocatedNode root = TreeReader.read("guess", text);
            if (root instanceof LocatedNode.Mapping m) {
                LocatedNode.Entry e = m.entries().get(kind == SpecKind.ENDPOINT ? "id" : "name");
                if (e != null && e.value() instanceof LocatedNode.Scalar s && s.value() != null) {
                    return java.util.Optional.of(s.text());
                }
            }
        } catch (SpecException e) {
            // not readable that far
        }
        return java.util.Optional.empty();
    }

    /** The text of a spec file, UTF-8. */
    public static String text(Path file) {
        try {
            // a FIFO or device (directly or behind a symlink) would block the read or never end
            Path real = file.toRealPath();
            if (!Files.isRegularFile(real, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new SpecException(file.toString(), 0, 0, "", "not a regular file"
                        + (real.equals(file.toAbsolutePath()) ? "" : " (it leads to " + real + ")") + "; not a spec");
            }
            file = real;
            if (Files.size(file) > MAX_BYTES) {
                throw new SpecException(file.toString(), 0, 0, "", "larger than " + MAX_BYTES + " bytes; not a spec");
            }
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SpecException(file.toString(), 0, 0, "", "not UTF-8 text", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new SpecException(file.toString(), 0, 0, "", "no such file", e);
        } catch (IOException e) {
            throw new SpecException(file.toString(), 0, 0, "", "cannot read it: " + e.getMessage(), e);
        }
    }

    private static LocatedNode root(String source, String text, String what) {
        LocatedNode root = TreeReader.read(source, text);
        if (root == null) {
            throw new SpecException(source, 0, 0, "", "empty; expected " + what);
        }
        return root;
    }
}
