/* bench-inflate: the floor for Scripts/bench.
 *
 * Inflates each gzip file given on the command line (all members of a
 * multi-member file) to nowhere, reading 1 MiB at a time, and prints the
 * total number of uncompressed bytes.  Exit 0 on success, 1 on any error.
 *
 *   cc -O2 -o .bench/bench-inflate Scripts/bench-inflate.c -lz
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define CHUNK (1 << 20)

static unsigned char in[CHUNK];
static unsigned char out[CHUNK];

static int inflate_file(const char *path, unsigned long long *total)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, 15 + 32) != Z_OK) { /* 15 + 32: zlib or gzip header */
        fprintf(stderr, "%s: inflateInit2 failed\n", path);
        fclose(f);
        return 1;
    }
    int ret = Z_OK;
    int ended = 0; /* the last member ended cleanly */
    for (;;) {
        s.avail_in = (uInt)fread(in, 1, CHUNK, f);
        if (ferror(f)) {
            perror(path);
            ret = Z_ERRNO;
            break;
        }
        if (s.avail_in == 0)
            break;
        s.next_in = in;
        while (s.avail_in > 0) {
            s.next_out = out;
            s.avail_out = CHUNK;
            ret = inflate(&s, Z_NO_FLUSH);
            *total += CHUNK - s.avail_out;
            if (ret == Z_STREAM_END) {
                ended = 1;
                if (s.avail_in > 0) { /* another gzip member follows */
                    inflateReset(&s);
                    ended = 0;
                }
                ret = Z_OK;
            } else if (ret == Z_OK || ret == Z_BUF_ERROR) {
                ended = 0;
                if (ret == Z_BUF_ERROR && s.avail_out == CHUNK)
                    break; /* needs more input */
                ret = Z_OK;
            } else {
                fprintf(stderr, "%s: inflate error %d (%s)\n", path, ret,
                        s.msg ? s.msg : "?");
                break;
            }
        }
        if (ret != Z_OK)
            break;
    }
    inflateEnd(&s);
    fclose(f);
    if (ret != Z_OK)
        return 1;
    if (!ended) {
        fprintf(stderr, "%s: truncated gzip stream\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long total = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: bench-inflate FILE.gz...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        if (inflate_file(argv[i], &total))
            return 1;
    printf("%llu\n", total);
    return 0;
}
