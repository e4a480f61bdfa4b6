/**
 * Bundles: jars that carry compiled variants, so a runtime loads objects without clang. A bundle
 * holds {@value io.kiln.bundle.BundleIndex#PATH} and the objects it lists under
 * {@value io.kiln.bundle.BundleIndex#OBJECTS}. The Maven plugin writes them
 * ({@link io.kiln.bundle.BundleIndex#toJson()}); a runtime finds them on its class path
 * ({@link io.kiln.bundle.Bundle#onClassPath(ClassLoader)}) and reads an object's bytes, checked
 * against the digest the index records ({@link io.kiln.bundle.Bundle#object}).
 */
package io.kiln.bundle;
