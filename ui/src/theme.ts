import { useEffect, useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";

const media = window.matchMedia("(prefers-color-scheme: dark)");

function effective(choice: ThemeChoice): "light" | "dark" {
  if (choice === "system") return media.matches ? "dark" : "light";
  return choice;
}

/** The theme: the system's unless the user picked one (remembered). */
export function useTheme(): [ThemeChoice, "light" | "dark", (t: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(() => {
    const saved = localStorage.getItem("dbhive.theme");
    return saved === "light" || saved === "dark" ? saved : "system";
  });
  const [system, setSystem] = useState(media.matches);
  useEffect(() => {
    const onChange = () => setSystem(media.matches);
    media.addEventListener("change", onChange);
    return () => media.removeEventListener("change", onChange);
  }, []);
  const current = choice === "system" ? (system ? "dark" : "light") : effective(choice);
  useEffect(() => {
    document.documentElement.dataset.theme = current;
  }, [current]);
  const set = (t: ThemeChoice) => {
    setChoice(t);
    if (t === "system") localStorage.removeItem("dbhive.theme");
    else localStorage.setItem("dbhive.theme", t);
  };
  return [choice, current, set];
}

// Applied before React renders, so the first frame already has the right colours.
document.documentElement.dataset.theme = effective(
  ((): ThemeChoice => {
    const saved = localStorage.getItem("dbhive.theme");
    return saved === "light" || saved === "dark" ? saved : "system";
  })(),
);
