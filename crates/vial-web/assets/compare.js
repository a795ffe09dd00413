// Before/after slider on the photo comparison page: the "after" picture lies over the "before"
// one and is clipped from the left by the range input. No inline script; styles set through the
// CSSOM, which the CSP allows.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const range = document.getElementById("compare-range");
  const over = document.getElementById("compare-over");
  if (!range || !over) {
    return;
  }
  const apply = () => {
    over.style.clipPath = `inset(0 0 0 ${100 - Number(range.value)}%)`;
    over.dataset.reveal = range.value;
  };
  range.addEventListener("input", apply);
  apply();
});
