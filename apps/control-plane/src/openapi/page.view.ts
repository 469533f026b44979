import { applyDecorators, Type } from '@nestjs/common';
import { ApiOkResponse, ApiProperty } from '@nestjs/swagger';

/**
 * The one page type of the API: `{items, total, limit, offset}` of any view. OpenAPI names schemas after
 * classes, so each item type gets its own subclass, named `<Item>PageView` (DeviceView → DevicePageView) and
 * made once, so the document keeps one distinct, stable schema per list.
 */
export abstract class PageView<T> {
  abstract items: T[];
  @ApiProperty({ description: 'Rows matching the filter, over all pages' }) total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

const made = new Map<Type<unknown>, Type<PageView<unknown>>>();

/** The `<Item>PageView` class documenting a page of `item` (the same class on every call). */
export function pageViewOf<T>(item: Type<T>): Type<PageView<T>> {
  const known = made.get(item);
  if (known) return known as Type<PageView<T>>;
  class ItemPage extends PageView<T> {
    @ApiProperty({ type: [item] }) items!: T[];
  }
  Object.defineProperty(ItemPage, 'name', { value: `${item.name.replace(/View$/, '')}PageView` });
  made.set(item, ItemPage as Type<PageView<unknown>>);
  return ItemPage;
}

/** `200` with a page of `item`: the response of every list route. */
export const ApiPageResponse = (item: Type<unknown>) => applyDecorators(ApiOkResponse({ type: pageViewOf(item) }));
