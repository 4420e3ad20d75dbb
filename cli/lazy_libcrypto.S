/* Stubs for the libcrypto functions sopskit calls (lazy_libcrypto_functions.def), so the
   executable does not link libcrypto.so: its 4,200 symbol relocations (Debian builds it with
   BIND_NOW) were half of the dynamic loader's work at every start, for commands such as an age
   decrypt that never call OpenSSL. Each stub jumps through its slot; an empty slot means
   libcrypto is not open yet, and sopskit_libcrypto_resolve (lazy_libcrypto.cpp) opens it and
   fills every slot. Stubs jump rather than call, so the callee sees the caller's arguments,
   stack arguments and return address untouched. The stubs are hidden: libraries opened later
   (libcurl, libssh) bind to libcrypto itself, never to them. x86-64 System V only. */
#if defined(__x86_64__) && defined(__ELF__)

    .text

/* %r11: the slot of the function being called. Saves the argument registers (and %rax, the
   vector-register count of variadic calls), asks for the address, restores, jumps. */
    .p2align 4
    .type sopskit_libcrypto_resolve_and_jump, @function
sopskit_libcrypto_resolve_and_jump:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %r8
    pushq %r9
    pushq %rax
    pushq %r10
    subq $128, %rsp
    movdqu %xmm0, 0(%rsp)
    movdqu %xmm1, 16(%rsp)
    movdqu %xmm2, 32(%rsp)
    movdqu %xmm3, 48(%rsp)
    movdqu %xmm4, 64(%rsp)
    movdqu %xmm5, 80(%rsp)
    movdqu %xmm6, 96(%rsp)
    movdqu %xmm7, 112(%rsp)
    movq %r11, %rdi
    call sopskit_libcrypto_resolve
    movq %rax, %r11
    movdqu 0(%rsp), %xmm0
    movdqu 16(%rsp), %xmm1
    movdqu 32(%rsp), %xmm2
    movdqu 48(%rsp), %xmm3
    movdqu 64(%rsp), %xmm4
    movdqu 80(%rsp), %xmm5
    movdqu 96(%rsp), %xmm6
    movdqu 112(%rsp), %xmm7
    addq $128, %rsp
    popq %r10
    popq %rax
    popq %r9
    popq %r8
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rbp
    jmp *%r11
    .size sopskit_libcrypto_resolve_and_jump, .-sopskit_libcrypto_resolve_and_jump

#define SOPSKIT_LIBCRYPTO_FUNCTION(name)                     \
    .globl name;                                             \
    .hidden name;                                            \
    .type name, @function;                                   \
    .p2align 4;                                              \
name:                                                        \
    movq sopskit_libcrypto_slot_##name(%rip), %r11;          \
    testq %r11, %r11;                                        \
    jz 1f;                                                   \
    jmp *%r11;                                               \
1:  leaq sopskit_libcrypto_slot_##name(%rip), %r11;          \
    jmp sopskit_libcrypto_resolve_and_jump;                  \
    .size name, .-name;
#include "lazy_libcrypto_functions.def"
#undef SOPSKIT_LIBCRYPTO_FUNCTION

#endif

    .section .note.GNU-stack, "", @progbits
