/*
 * Security identities: reserved values, and how a remote side's identity is found.
 *
 * API: IDENTITY_ANY/HOST/WORLD; identity_mark(c) stamps the endpoint's own identity (IDENTITY)
 * into skb->mark before a local redirect; remote4_identity(c, addr) and remote6_identity(c, addr)
 * give the identity of the other side of a packet.
 *
 * A packet redirected from one local endpoint to another goes straight from the sender's
 * from_endpoint to the receiver's to_endpoint, with nothing in between that looks at the mark;
 * so the sender's identity rides along in skb->mark (IDENTITY_MARK_MAGIC in the top byte, the
 * identity in the low 24 bits) and the receiver's ingress policy needs no ipcache lookup. The
 * veth clears the mark when the packet enters the receiver's namespace. Identities above 24 bits
 * are not carried (the receiver falls back to the ipcache). Everything else, and every egress
 * check, asks the ipcache. A mark from elsewhere on the host with the same top byte would be
 * taken for an identity: keep IDENTITY_MARK_MAGIC clear of the host's own mark bits.
 * The stamp is made in every build (the receiver may enforce policy even if the sender does
 * not); the lookups are made only by policy.h, so with policyMode=off, never.
 */
#ifndef KILN_IDENTITY_H
#define KILN_IDENTITY_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/ipcache.h"

/* Reserved identities. 0 is never an identity: in policy keys it means "any". */
#define IDENTITY_ANY		0
#define IDENTITY_HOST		1	/* the node itself */
#define IDENTITY_WORLD		2	/* anything the ipcache does not know */

#define IDENTITY_MARK_MAGIC	0x4b000000	/* 'K' */
#define IDENTITY_MARK_MASK	0xff000000
#define IDENTITY_MARK_MAX	0x00ffffff

static __always_inline void identity_mark(struct kiln_ctx *c)
{
	__u32 identity = cfg_identity(c->cfg);

	if (identity <= IDENTITY_MARK_MAX)
		c->skb->mark = IDENTITY_MARK_MAGIC | identity;
}

/* The sender's identity if a local endpoint stamped it, else IDENTITY_ANY. */
static __always_inline __u32 identity_from_mark(const struct kiln_ctx *c)
{
	__u32 mark = c->skb->mark;

	if (c->dir != DIR_INGRESS || (mark & IDENTITY_MARK_MASK) != IDENTITY_MARK_MAGIC)
		return IDENTITY_ANY;
	return mark & IDENTITY_MARK_MAX;
}

static __always_inline __u32 remote4_identity(const struct kiln_ctx *c, __be32 addr)
{
	__u32 identity = identity_from_mark(c);

	if (identity == IDENTITY_ANY)
		identity = ipcache4_identity(addr);
	return identity != IDENTITY_ANY ? identity : IDENTITY_WORLD;
}

static __always_inline __u32 remote6_identity(const struct kiln_ctx *c, const union v6addr *addr)
{
	__u32 identity = identity_from_mark(c);

	if (identity == IDENTITY_ANY)
		identity = ipcache6_identity(addr);
	return identity != IDENTITY_ANY ? identity : IDENTITY_WORLD;
}

#endif /* KILN_IDENTITY_H */
