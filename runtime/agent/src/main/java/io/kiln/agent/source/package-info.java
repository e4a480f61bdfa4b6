/** Sources of specs (the spec directory here; the API and Kubernetes in their packages) and their aggregation. */
package io.kiln.agent.source;
