#ifndef CONSENTRY_CLIBXML2_SHIM_H
#define CONSENTRY_CLIBXML2_SHIM_H
/* libxml2's SAX2 push parser, for the DDEX ERN decoder. The include directory
   (/usr/include/libxml2 on Debian) comes from pkg-config libxml-2.0. */
#include <libxml/xmlversion.h>
/* A libxml2 built with ICU includes ICU's headers from encoding.h; they clash with the copy
   Foundation ships (_FoundationICU) in every module that sees both ("UErrorCode has
   different definitions"). Nothing uses the ICU members: they only add fields at the end of
   xmlCharEncodingHandler, which the decoder never touches. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#endif
