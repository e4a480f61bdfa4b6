package io.kiln.bundle;

import io.kiln.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A bundle found somewhere: its index and where it came from. Objects are read next to the index
 * (from the same jar or folder), so two bundles on one class path never mix their objects.
 * Immutable and thread-safe.
 */
public final class Bundle {
    private final URL indexUrl;
    private final BundleIndex index;

    private Bundle(URL indexUrl, BundleIndex index) {
        this.indexUrl = indexUrl;
        this.index = index;
    }

    /**
     * Every bundle on a class loader's class path (each jar or folder holding {@value BundleIndex#PATH}),
     * in class path order.
     *
     * @throws BundleException when an index there cannot be read
     */
    public static List<Bundle> onClassPath(ClassLoader loader) {
        List<Bundle> found = new ArrayList<>();
        try {
            for (URL url : Collections.list(loader.getResources(BundleIndex.PATH))) {
                found.add(read(url));
            }
        } catch (IOException e) {
            throw new BundleException("cannot list bundles (" + BundleIndex.PATH + ") on the class path: " + e, e);
        }
        return List.copyOf(found);
    }

    /** The bundle of a jar file or of an exploded folder (such as a build's {@code target/classes}). */
    public static Bundle open(Path jarOrFolder) {
        Path path = jarOrFolder.toAbsolutePath().normalize();
        try {
            URL url = Files.isDirectory(path) ? path.resolve(BundleIndex.PATH).toUri().toURL()
                    : URI.create("jar:" + path.toUri() + "!/" + BundleIndex.PATH).toURL();
            return read(url);
        } catch (MalformedURLException e) {
            throw new BundleException("bundle " + path + ": cannot name its index: " + e.getMessage(), e);
        }
    }

    /** The bundle whose index is at {@code indexUrl}. */
    public static Bundle read(URL indexUrl) {
        return new Bundle(indexUrl, BundleIndex.fromJson(bytes(indexUrl, "bundle " + indexUrl), indexUrl.toString()));
    }

    public BundleIndex index() {
        return index;
    }

    /** Where the index was read from, e.g. {@code jar:file:/…/kiln-bpf-templates.jar!/META-INF/kiln/index.json}. */
    public URL indexUrl() {
        return indexUrl;
    }

    /**
     * The bytes of a variant's object, read from this bundle and checked against the size and
     * SHA-256 the index records.
     *
     * @throws BundleException when the object is missing or does not match
     */
    public byte[] object(BundledVariant variant) {
        String what = "bundle " + indexUrl + ": object " + variant.object();
        if (!variant.object().startsWith(BundleIndex.OBJECTS) || variant.object().contains("..")) {
            throw new BundleException(what + ": not a path under " + BundleIndex.OBJECTS);
        }
        URL url;
        try {
            // the index sits at META-INF/kiln/index.json, so the object's path resolves against it;
            // URL (not URI) resolution, because jar: URIs are opaque to URI.resolve
            url = new URL(indexUrl, variant.object().substring("META-INF/kiln/".length()));
        } catch (MalformedURLException e) {
            throw new BundleException(what + ": cannot locate it: " + e, e);
        }
        byte[] bytes = bytes(url, what);
        if (bytes.length != variant.size() || !Sha256.of(bytes).equals(variant.sha256())) {
            throw new BundleException(what + ": does not match the index (" + bytes.length + " bytes, expected "
                    + variant.size() + " with SHA-256 " + variant.sha256() + "); rebuild the bundle");
        }
        return bytes;
    }

    private static byte[] bytes(URL url, String what) {
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BundleException(what + ": cannot read it: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "Bundle[" + indexUrl + ", " + index.templates().size() + " template(s)]";
    }
}
