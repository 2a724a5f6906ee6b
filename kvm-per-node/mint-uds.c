/* mint-uds: `nc -U` for the lab, where busybox's nc has no Unix sockets.
 *
 *   mint-uds [-u PREFIX] [-t SECONDS] SOCKET
 *
 * Connects to the Unix stream socket SOCKET, copies stdin to it and what
 * it sends to stdout. Ends when the socket closes, or (-u) right after
 * writing a line that starts with PREFIX, or (-t, default 30) when nothing
 * arrived for SECONDS. Exit status 0, 1 on a timeout, 2 on an error.
 *
 * The lab packs it (static) into the VMM layer as /usr/bin/mint-uds, to
 * speak the guest agent protocol by hand (kvm-per-node/README.md):
 *   printf '%s %s\n' 1a "$(echo 'cat /run/mint-counter' | base64 -w0)" |
 *       mint-uds -u @@E1a: /run/g/agent.sock
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *prefix = NULL;
	int timeout_s = 30, c;
	while ((c = getopt(argc, argv, "u:t:")) != -1) {
		if (c == 'u')
			prefix = optarg;
		else if (c == 't')
			timeout_s = atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc - 1) {
usage:
		fprintf(stderr, "usage: mint-uds [-u PREFIX] [-t SECONDS] SOCKET\n");
		return 2;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(argv[optind]) >= sizeof sa.sun_path) {
		fprintf(stderr, "mint-uds: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[optind]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "mint-uds: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	/* The line being written, to compare its start with PREFIX. */
	size_t plen = prefix ? strlen(prefix) : 0, col = 0;
	int line_matches = 1, in_open = 1;
	char buf[65536];
	for (;;) {
		struct pollfd p[2] = {{s, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
		int r = poll(p, 2, timeout_s * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("mint-uds: poll");
			return 2;
		}
		if (r == 0) {
			fprintf(stderr, "mint-uds: nothing for %d s\n", timeout_s);
			return 1;
		}
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n <= 0)
				in_open = 0; /* keep the socket open for the answer */
			else if (write_all(s, buf, (size_t)n) < 0) {
				perror("mint-uds: write");
				return 2;
			}
		}
		if (p[0].revents) {
			ssize_t n = read(s, buf, sizeof buf);
			if (n <= 0)
				return 0;
			for (ssize_t i = 0; i < n; i++) {
				if (prefix && col < plen && buf[i] != prefix[col])
					line_matches = 0;
				col++;
				if (buf[i] == '\n') {
					if (prefix && line_matches && col > plen) {
						if (write_all(1, buf, (size_t)i + 1) < 0)
							return 2;
						return 0;
					}
					col = 0;
					line_matches = 1;
				}
			}
			if (write_all(1, buf, (size_t)n) < 0)
				return 2;
		}
	}
}
