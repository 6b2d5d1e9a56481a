#ifndef CONSENTRY_CISAL_SHIM_H
#define CONSENTRY_CISAL_SHIM_H
/* Intel ISA-L's inflate (libisal-dev): the scan's gzip decoder. */
#include <isa-l/igzip_lib.h>
#endif
