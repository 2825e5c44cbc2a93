// SPDX-License-Identifier: GPL-2.0-only
/*
 * fifo-test: user-space checks of examples/fifo (/dev/rust_fifo), one
 * scenario per run: fifo-test NAME. Exit 0 iff the scenario behaved.
 * Built static by tests/vm-examples.sh for the VM's architecture.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEV "/dev/rust_fifo"
#define CAPACITY 4096
#define FIFO_CLEAR _IO('f', 1)
#define FIFO_GET_LEN _IOR('f', 2, unsigned int)

static int fail(const char *what)
{
	fprintf(stderr, "fifo-test: %s: %s\n", what, strerror(errno));
	return 1;
}

static int open_dev(int flags)
{
	int fd = open(DEV, flags);

	if (fd < 0)
		fail("open");
	return fd;
}

/* An empty non-blocking FIFO: EAGAIN, POLLOUT only, no seeking. */
static int nonblock(void)
{
	char c;
	struct pollfd p;
	int fd = open_dev(O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return 1;
	if (read(fd, &c, 1) != -1 || errno != EAGAIN)
		return fail("read of an empty fifo is not EAGAIN");
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	if (poll(&p, 1, 0) != 1 || p.revents != POLLOUT)
		return fail("poll of an empty fifo is not POLLOUT only");
	if (lseek(fd, 0, SEEK_SET) != -1 || errno != ESPIPE)
		return fail("lseek is not ESPIPE");
	return 0;
}

/* Data in, POLLIN, the length by ioctl, data out; full means EAGAIN. */
static int roundtrip(void)
{
	static char big[CAPACITY];
	char buf[16] = { 0 };
	unsigned int len = 0;
	struct pollfd p;
	int fd = open_dev(O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return 1;
	if (write(fd, "hello", 5) != 5)
		return fail("write");
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	if (poll(&p, 1, 0) != 1 || p.revents != (POLLIN | POLLOUT))
		return fail("poll with data is not POLLIN|POLLOUT");
	if (ioctl(fd, FIFO_GET_LEN, &len) != 0 || len != 5)
		return fail("FIFO_GET_LEN");
	if (read(fd, buf, sizeof(buf)) != 5 || memcmp(buf, "hello", 5))
		return fail("read back");
	if (write(fd, big, sizeof(big)) != sizeof(big))
		return fail("filling write");
	if (write(fd, "x", 1) != -1 || errno != EAGAIN)
		return fail("write to a full fifo is not EAGAIN");
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	if (poll(&p, 1, 0) != 1 || p.revents != POLLIN)
		return fail("poll of a full fifo is not POLLIN only");
	if (ioctl(fd, FIFO_CLEAR) != 0 || ioctl(fd, FIFO_GET_LEN, &len) != 0 || len != 0)
		return fail("FIFO_CLEAR");
	if (ioctl(fd, _IO('f', 99)) != -1 || errno != ENOTTY)
		return fail("unknown ioctl is not ENOTTY");
	if (ioctl(fd, FIFO_GET_LEN, (void *)8) != -1 || errno != EFAULT)
		return fail("FIFO_GET_LEN to a bad address is not EFAULT");
	return 0;
}

/*
 * A child sleeps in read (or in poll, or is hit by a signal); the parent
 * checks it is still asleep after a while, then wakes it.
 */
static void on_signal(int sig)
{
	(void)sig;
}

static int child(const char *mode)
{
	char buf[8] = { 0 };
	int fd = open_dev(O_RDONLY);

	if (fd < 0)
		return 1;
	if (!strcmp(mode, "poll")) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) != 1 || !(p.revents & POLLIN))
			return fail("poll did not wake with POLLIN");
	}
	if (!strcmp(mode, "signal")) {
		struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */

		sigaction(SIGUSR1, &sa, NULL);
		if (read(fd, buf, sizeof(buf)) != -1 || errno != EINTR)
			return fail("read was not interrupted with EINTR");
		return 0;
	}
	if (read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "wake", 4))
		return fail("woken read did not get the data");
	return 0;
}

static int sleeper(const char *mode)
{
	int status, fd;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(mode));
	usleep(300000);
	if (waitpid(pid, &status, WNOHANG) != 0)
		return fail("the reader did not sleep");
	if (!strcmp(mode, "signal")) {
		kill(pid, SIGUSR1);
	} else {
		fd = open_dev(O_WRONLY);
		if (fd < 0 || write(fd, "wake", 4) != 4)
			return fail("waking write");
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the reader failed");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "nonblock"))
		return nonblock();
	if (!strcmp(argv[1], "roundtrip"))
		return roundtrip();
	if (!strcmp(argv[1], "read") || !strcmp(argv[1], "poll") || !strcmp(argv[1], "signal"))
		return sleeper(argv[1]);
	return 2;
}
