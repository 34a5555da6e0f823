use std::process::ExitCode;

#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` in mimalloc 2.x's `mi_option_e` (libmimalloc-sys does not name it).
#[cfg(target_env = "musl")]
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// `mi_option_purge_delay` in mimalloc 2.x's `mi_option_e`.
#[cfg(target_env = "musl")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The C library's `memcpy`, replaced for the static musl build. musl's copies 8 bytes at a time after
/// aligning the destination (`rep movsq`), which is slow when source and destination are misaligned
/// differently, as they are when actix copies a response body into its write buffer: perf put 16% of
/// GET / in it, five times the kernel's own copy of the same bytes to the socket. `rep movsb` is the
/// copy x86-64 CPUs have made fast for any alignment (ERMS since 2012, FSRM for short copies since 2019).
/// Both names are defined so that musl's `memcpy.o` (which also defines `__memcpy_fwd`, used by its
/// `memmove`) is never linked in beside these.
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
mod fast_copy {
    /// # Safety
    /// The C `memcpy` contract: `n` bytes readable at `src`, writable at `dest`, not overlapping.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        // Inline assembly, not a Rust loop: the compiler turns copy loops into calls to `memcpy`.
        unsafe {
            core::arch::asm!(
                "rep movsb",
                inout("rcx") n => _,
                inout("rdi") dest => _,
                inout("rsi") src => _,
                options(nostack, preserves_flags)
            );
        }
        dest
    }

    /// # Safety
    /// As [`memcpy`]; musl's `memmove` calls it for forward copies, which `rep movsb` does.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn __memcpy_fwd(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        unsafe { memcpy(dest, src, n) }
    }
}

fn main() -> ExitCode {
    // Commit arena memory as it is used rather than up front: idle RSS 8 MB instead of 19 MB, same speed.
    #[cfg(target_env = "musl")]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        // Give freed memory back at once rather than "after 10 ms" (which in practice waited for the next
        // allocation on that thread: a sign-in's 19 MiB stayed resident for the task's life). GET / and
        // POST /leads measured the same either way.
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
    ritual_roast::cli::main()
}
