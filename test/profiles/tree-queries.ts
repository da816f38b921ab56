/** Small readers over rendered OMA CP / Nokia OTA trees, so tests can ask for what they check. */
import { attribute, isElement, type XmlElement } from '../../codecs/xml/element.ts';

export const elements = (parent: XmlElement): XmlElement[] => parent.children.filter(isElement);

/** Direct `characteristic` children of `parent` of a type (OMA CP `type`, Nokia OTA `TYPE`). */
export function characteristics(parent: XmlElement, type: string): XmlElement[] {
  return elements(parent).filter(
    (child) =>
      /^characteristic$/i.test(child.name) && (attribute(child, 'type') ?? attribute(child, 'TYPE')) === type,
  );
}

/** The APPLICATION characteristic with this APPID. */
export function application(root: XmlElement, appId: string): XmlElement | undefined {
  return characteristics(root, 'APPLICATION').find((app) => parmValue(app, 'APPID') === appId);
}

/** Value of the direct `parm` child named `name` (OMA CP `name`/`value`, Nokia OTA `NAME`/`VALUE`). */
export function parmValue(parent: XmlElement, name: string): string | undefined {
  return parms(parent).find(([parmName]) => parmName === name)?.[1];
}

export function hasParm(parent: XmlElement, name: string): boolean {
  return parms(parent).some(([parmName]) => parmName === name);
}

/** [name, value] of every direct parm child, in order (value '' for a valueless parm). */
export function parms(parent: XmlElement): Array<[string, string]> {
  return elements(parent)
    .filter((child) => /^parm$/i.test(child.name))
    .map((child) => [
      attribute(child, 'name') ?? attribute(child, 'NAME') ?? '',
      attribute(child, 'value') ?? attribute(child, 'VALUE') ?? '',
    ]);
}

/** Every parm value with this name anywhere in the tree. */
export function allParmValues(root: XmlElement, name: string): string[] {
  const found: string[] = [];
  const walk = (element: XmlElement): void => {
    for (const [parmName, value] of parms(element)) if (parmName === name) found.push(value);
    for (const child of elements(element)) walk(child);
  };
  walk(root);
  return found;
}

/** Types of the top-level characteristics, with APPLICATIONs as `APPLICATION:<APPID>`. */
export function outline(root: XmlElement): string[] {
  return elements(root).map((child) => {
    const type = attribute(child, 'type') ?? attribute(child, 'TYPE') ?? child.name;
    return type === 'APPLICATION' ? `APPLICATION:${parmValue(child, 'APPID')}` : type;
  });
}
