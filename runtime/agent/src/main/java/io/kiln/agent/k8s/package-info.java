/** Endpoints from Pods on this node, policies and services from Kiln's custom resources. */
package io.kiln.agent.k8s;
