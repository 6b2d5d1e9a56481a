/* bench-isal-inflate: the floor for Scripts/bench.
 *
 * Inflates each gzip file given on the command line (all members of a
 * multi-member file) to nowhere with ISA-L's isal_inflate, reading 1 MiB at a
 * time, and prints the total number of uncompressed bytes.  ISA-L parses each
 * member's header and checks its CRC-32 and length, as the scan does.  Exit 0
 * on success, 1 on any error.
 *
 *   cc -O2 -o .bench/bench-isal-inflate Scripts/bench-isal-inflate.c -lisal
 */
#include <stdio.h>
#include <stdlib.h>
#include <isa-l/igzip_lib.h>

#define CHUNK (1 << 20)

static unsigned char in[CHUNK];
static unsigned char out[CHUNK];

static int inflate_file(struct inflate_state *s, const char *path, unsigned long long *total)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    isal_inflate_init(s);
    s->crc_flag = ISAL_GZIP;
    int ended = 0; /* the last member ended cleanly */
    for (;;) {
        s->avail_in = (uint32_t)fread(in, 1, CHUNK, f);
        if (ferror(f)) {
            perror(path);
            fclose(f);
            return 1;
        }
        if (s->avail_in == 0)
            break;
        s->next_in = in;
        while (s->avail_in > 0) {
            if (s->block_state == ISAL_BLOCK_FINISH)
                isal_inflate_reset(s); /* another gzip member follows */
            s->next_out = out;
            s->avail_out = CHUNK;
            int ret = isal_inflate(s);
            *total += CHUNK - s->avail_out;
            if (ret != ISAL_DECOMP_OK) {
                fprintf(stderr, "%s: isal_inflate error %d\n", path, ret);
                fclose(f);
                return 1;
            }
            ended = s->block_state == ISAL_BLOCK_FINISH;
            if (!ended && s->avail_out == CHUNK && s->avail_in == 0)
                break; /* needs more input */
        }
    }
    /* Output ISA-L still holds once the input has ended. */
    while (!ended) {
        s->next_out = out;
        s->avail_out = CHUNK;
        if (isal_inflate(s) != ISAL_DECOMP_OK)
            break;
        *total += CHUNK - s->avail_out;
        ended = s->block_state == ISAL_BLOCK_FINISH;
        if (s->avail_out == CHUNK)
            break;
    }
    fclose(f);
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
        fprintf(stderr, "usage: bench-isal-inflate FILE.gz...\n");
        return 1;
    }
    /* inflate_state holds ISA-L's tables and a 64 KiB history: too big for the stack of
       some threads, and one is enough for every file. */
    struct inflate_state *s = malloc(sizeof *s);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        if (inflate_file(s, argv[i], &total)) {
            free(s);
            return 1;
        }
    free(s);
    printf("%llu\n", total);
    return 0;
}
