/* gst-fdpass fuzzing: the input format of the fddepay harness
 * Copyright (C) 2026 gst-fdpass contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* An input of fuzz-fddepay.c is what a sender does to a receiver:
 *
 *   u8 options             FDDEPAY_OPT_*
 *   then, until the input ends, chunks:
 *     u8 op                FDDEPAY_OP_*; the low two bits: number of files
 *     u16 len              little-endian; fewer bytes if the input ends
 *     len bytes            pushed into fddepay as one buffer (two with
 *                          FDDEPAY_OP_SPLIT)
 *     per file: u8 spec    FDDEPAY_FILE_*
 *               u16 size   in units of FDDEPAY_SIZE_UNIT bytes
 *
 * The files of a chunk are made for each run (memfds, unlinked regular
 * files, pipes) and attached to its buffer in a GstNetControlMessageMeta,
 * as socketsrc does with the SCM_RIGHTS it receives. A sender names each
 * file by its device and inode, which a fuzzer cannot guess: with
 * FDDEPAY_OP_NAME_FILES the harness writes into every fd table entry of the
 * buffer messages, and every entry of the forget messages, that lie whole in
 * the chunk the identity of one of the files made so far in this run, the
 * one the low byte of the entry's dev field picks. make-corpus.c writes
 * inputs in this format. */

#ifndef __FDPASS_FUZZ_FDDEPAY_H__
#define __FDPASS_FUZZ_FDDEPAY_H__

/* options */
#define FDDEPAY_OPT_ALLOW_UNSEALED (1 << 0)
/* start as unixsocketsrc does: with a release channel, so that a sender
 * announcing releases gets its memfds mapped once and kept */
#define FDDEPAY_OPT_RELEASE_CHANNEL (1 << 1)

/* chunk operations */
#define FDDEPAY_OP_N_FILES_MASK 0x03
#define FDDEPAY_OP_NAME_FILES (1 << 2)
/* after the push, the sender truncates the files of the chunk to 0 bytes
 * (those not sealed against it), then the harness reads every byte of
 * every buffer fddepay pushed: a receiver that mapped a file that can
 * shrink dies of SIGBUS here */
#define FDDEPAY_OP_SHRINK_AFTER (1 << 3)
/* two buffers, split in the middle; the files go with the second */
#define FDDEPAY_OP_SPLIT (1 << 4)
/* a new connection upstream (a new release channel) before the chunk */
#define FDDEPAY_OP_NEW_CONNECTION (1 << 5)
/* a flush before the chunk */
#define FDDEPAY_OP_FLUSH (1 << 6)
/* EOS after the chunk */
#define FDDEPAY_OP_EOS (1 << 7)

/* file specs: the low two bits are the kind */
#define FDDEPAY_FILE_KIND_MASK 0x03
#define FDDEPAY_FILE_MEMFD 0
/* an unlinked regular file in the temporary directory: cannot be sealed */
#define FDDEPAY_FILE_REGULAR 1
#define FDDEPAY_FILE_PIPE 2
/* another descriptor of a file made before in the run (size ignored):
 * the same file again, as a recycling sender passes it */
#define FDDEPAY_FILE_AGAIN 3
/* memfd seals: against shrinking and growing, against writing */
#define FDDEPAY_FILE_SEAL_SIZE (1 << 2)
#define FDDEPAY_FILE_SEAL_WRITE (1 << 3)

#define FDDEPAY_SIZE_UNIT 16

/* at most this many files are made in one run */
#define FDDEPAY_MAX_FILES 64

#endif /* __FDPASS_FUZZ_FDDEPAY_H__ */
