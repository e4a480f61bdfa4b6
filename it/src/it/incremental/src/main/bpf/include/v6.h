/* v6.h: included only with ipv6=true */
#ifndef V6_H
#define V6_H
#define V6_BONUS 1
#endif
