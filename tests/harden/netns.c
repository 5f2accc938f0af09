/* netns.c — see netns.h: unshare(CLONE_NEWNET) and addresses on lo by ioctl
 * (no dependency on the ip command). */
#include "harden/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int netns_enter(const char *const *addrs, char *why, size_t whylen)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWNET) < 0) {
        /* not root: a user namespace first (needs a single-threaded process) */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
            snprintf(why, whylen, "network namespaces are unavailable here (unshare: %s)", strerror(errno));
            return -1;
        }
        char map[64];
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
        if (write_file("/proc/self/uid_map", map) < 0) {
            snprintf(why, whylen, "could not map the user in the new namespace: %s", strerror(errno));
            return -1;
        }
        snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
        write_file("/proc/self/gid_map", map);
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
        snprintf(why, whylen, "could not bring lo up in the new namespace: %s", strerror(errno));
        close(s);
        return -1;
    }
    for (size_t i = 0; addrs && addrs[i]; i++) {
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo:%zu", i + 1);
        struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
        a->sin_family = AF_INET;
        if (inet_pton(AF_INET, addrs[i], &a->sin_addr) != 1 || ioctl(s, SIOCSIFADDR, &ifr) < 0) {
            snprintf(why, whylen, "could not add %s to lo: %s", addrs[i], strerror(errno));
            close(s);
            return -1;
        }
        /* a /32 so the address is only itself */
        a->sin_addr.s_addr = htonl(0xFFFFFFFFu);
        ioctl(s, SIOCSIFNETMASK, &ifr);
        memset(&ifr.ifr_flags, 0, sizeof ifr.ifr_flags);
        if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
            ifr.ifr_flags |= IFF_UP;
            ioctl(s, SIOCSIFFLAGS, &ifr);
        }
    }
    close(s);
    return 0;
}
